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
import { classifySdkError, LlmError } from './errors.ts';
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

const SDK_ERRORS = { APIError, APIConnectionError, APIConnectionTimeoutError, APIUserAbortError };

function classify(
  error: unknown,
  signal: AbortSignal | undefined,
  deadline: Deadline,
  opened: boolean,
  who: { provider: string; model: string },
  apiKey: string,
): unknown {
  return classifySdkError(
    { error, signal, timedOut: deadline.expired(), opened, ...who, apiKey },
    SDK_ERRORS,
  );
}

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
      deadline.throwIfEnded(who);
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
