/**
 * `LanguageModel` for Anthropic's Messages API, on the official `@anthropic-ai/sdk` with its own
 * retries off (the router's client retries and falls back). System messages become the `system`
 * parameter; JSON-structured output is a single forced tool whose input is the answer.
 */
import Anthropic, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from '@anthropic-ai/sdk';
import { createDeadline, type Deadline } from './deadline.ts';
import {
  classifyHttpFailure,
  describeCauseChain,
  findNetworkErrorCode,
  LlmError,
  redactedCause,
  redactSecret,
} from './errors.ts';
import type {
  ChatRequest,
  ChatResult,
  ChatStreamPart,
  FinishReason,
  LanguageModel,
  TokenUsage,
} from './language-model.ts';

export interface AnthropicModelOptions {
  readonly provider: string;
  /** Default `https://api.anthropic.com`. */
  readonly baseUrl?: string;
  readonly model: string;
  /** Never in an error message. */
  readonly apiKey: string;
  /** Per request; 60 s by default. */
  readonly timeoutMs?: number;
  /** Anthropic requires a maximum; used when the request sets none. 1024 by default. */
  readonly maxOutputTokens?: number;
}

// Enough of a failure's detail to diagnose it, not enough to flood a log line.
const MAX_DETAIL_CHARS = 300;

const FINISH: Readonly<Record<string, FinishReason>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  tool_use: 'stop',
  pause_turn: 'other',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  refusal: 'content_filter',
};

/**
 * @example
 * const model = createAnthropicModel({ provider: 'anthropic', model: 'claude-sonnet-4-0', apiKey });
 * const { text, usage } = await model.generate({ messages: [{ role: 'user', content: 'hi' }] });
 */
export function createAnthropicModel(options: AnthropicModelOptions): LanguageModel {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const client = new Anthropic({
    apiKey: options.apiKey,
    // Explicit, so the SDK does not pick these up from ANTHROPIC_* environment variables.
    authToken: null,
    baseURL: options.baseUrl ?? 'https://api.anthropic.com',
    maxRetries: 0,
    timeout: timeoutMs,
    logLevel: 'off',
  });
  const who = { provider: options.provider, model: options.model };

  const params = (request: ChatRequest) => {
    const system = request.messages.filter((m) => m.role === 'system').map((m) => m.content);
    const format = request.responseFormat;
    return {
      model: options.model,
      max_tokens: request.maxOutputTokens ?? options.maxOutputTokens ?? 1024,
      messages: request.messages
        .filter((m) => m.role !== 'system')
        .map((m) => ({ role: m.role as 'user' | 'assistant', content: m.content })),
      ...(system.length > 0 ? { system: system.join('\n\n') } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(format
        ? {
            tools: [
              {
                name: format.name,
                description: 'Answer by calling this tool with the answer as its input.',
                input_schema: { type: 'object' as const, ...format.schema },
              },
            ],
            tool_choice: { type: 'tool' as const, name: format.name },
          }
        : {}),
    };
  };

  return {
    provider: options.provider,
    model: options.model,

    async generate(request: ChatRequest): Promise<ChatResult> {
      let message: Anthropic.Messages.Message;
      const deadline = createDeadline(timeoutMs, request.signal);
      try {
        message = await client.messages.create(params(request), { signal: deadline.signal });
      } catch (error) {
        throw classify(error, request.signal, deadline, false, who, options.apiKey);
      } finally {
        deadline.dispose();
      }
      const finishReason = FINISH[message.stop_reason ?? ''] ?? 'other';
      const tool = message.content.find((b) => b.type === 'tool_use');
      // A refusal or a cut-off answer may come without the forced tool; a finished one may not.
      if (request.responseFormat && !tool && finishReason === 'stop')
        throw new LlmError(
          'LLM_INVALID_RESPONSE',
          `${options.provider}/${options.model} answered without calling the tool ${request.responseFormat.name}`,
          who,
        );
      return {
        text: tool
          ? JSON.stringify(tool.input)
          : message.content.map((b) => (b.type === 'text' ? b.text : '')).join(''),
        usage: { inputTokens: message.usage.input_tokens, outputTokens: message.usage.output_tokens },
        finishReason,
        model: message.model,
      };
    },

    async *stream(request: ChatRequest): AsyncIterable<ChatStreamPart> {
      let usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
      let finish: FinishReason | undefined;
      let stopped = false;
      let model = options.model;
      let opened = false;
      // The deadline restarts with every event: it catches a provider that stalls, not a long answer.
      const deadline = createDeadline(timeoutMs, request.signal);
      try {
        const stream = await client.messages.create(
          { ...params(request), stream: true },
          { signal: deadline.signal },
        );
        opened = true;
        for await (const event of stream) {
          deadline.touch();
          if (event.type === 'message_start') {
            model = event.message.model;
            usage = {
              inputTokens: event.message.usage.input_tokens,
              outputTokens: event.message.usage.output_tokens,
            };
          } else if (event.type === 'content_block_delta') {
            const d = event.delta;
            if (d.type === 'text_delta' && d.text) yield { type: 'text-delta', text: d.text };
            else if (d.type === 'input_json_delta' && d.partial_json)
              yield { type: 'text-delta', text: d.partial_json };
          } else if (event.type === 'message_delta') {
            if (event.delta.stop_reason) finish = FINISH[event.delta.stop_reason] ?? 'other';
            // Cumulative counts; input_tokens is null unless it changed since message_start.
            usage = {
              inputTokens: event.usage.input_tokens ?? usage.inputTokens,
              outputTokens: event.usage.output_tokens,
            };
          } else if (event.type === 'message_stop') {
            stopped = true;
          }
        }
      } catch (error) {
        throw classify(error, request.signal, deadline, opened, who, options.apiKey);
      } finally {
        deadline.dispose();
      }
      if (request.signal?.aborted) throw request.signal.reason;
      if (deadline.expired())
        throw new LlmError(
          'LLM_TIMEOUT',
          `${options.provider}/${options.model} stalled for ${timeoutMs} ms`,
          who,
        );
      if (!stopped || finish === undefined)
        throw new LlmError(
          'LLM_STREAM_INTERRUPTED',
          `${options.provider}/${options.model} stream ended before message_stop`,
          who,
        );
      yield { type: 'finish', usage, finishReason: finish, model };
    },
  };
}

/** An SDK failure as an `LlmError`; a caller's abort is rethrown as it is. */
function classify(
  error: unknown,
  signal: AbortSignal | undefined,
  deadline: Deadline,
  opened: boolean,
  who: { provider: string; model: string },
  apiKey: string,
): unknown {
  if (signal?.aborted) return signal.reason ?? error;
  if (error instanceof LlmError) return error;
  const where = `${who.provider}/${who.model}`;
  const base = { ...who, cause: redactedCause(error, apiKey) };
  if (deadline.expired() || error instanceof APIConnectionTimeoutError)
    return new LlmError('LLM_TIMEOUT', `${where} made no progress in time`, base);
  if (error instanceof APIUserAbortError) return error;
  if (error instanceof APIConnectionError) {
    const reason = redactSecret(describeCauseChain(error.cause ?? error), apiKey);
    return new LlmError(
      'LLM_NETWORK',
      `${where}: connection failed (${reason.slice(0, MAX_DETAIL_CHARS)})`,
      base,
    );
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    const body = error.error as { error?: { message?: unknown } } | undefined;
    const message = typeof body?.error?.message === 'string' ? body.error.message : error.message;
    return classifyHttpFailure({
      status: error.status,
      message: redactSecret(message, apiKey),
      retryAfter: error.headers?.get('retry-after'),
      ...base,
    });
  }
  const detail = redactSecret(describeCauseChain(error), apiKey).slice(0, MAX_DETAIL_CHARS);
  // Malformed JSON, in the whole body or in one event of a stream.
  if (error instanceof SyntaxError)
    return new LlmError('LLM_INVALID_RESPONSE', `${where} sent an unreadable response: ${detail}`, base);
  // Once the response has begun, a dropped connection or an `error` event (overloaded) cuts it short.
  if (opened) return new LlmError('LLM_STREAM_INTERRUPTED', `${where} stream broke: ${detail}`, base);
  // The connection dropped while the whole body was being read.
  if (findNetworkErrorCode(error))
    return new LlmError('LLM_NETWORK', `${where}: connection lost (${detail})`, base);
  return new LlmError('LLM_INVALID_RESPONSE', `${where}: ${detail}`, base);
}
