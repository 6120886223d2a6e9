/**
 * `LanguageModel` for any server that speaks OpenAI's `POST /v1/chat/completions` (OpenAI, vLLM,
 * Ollama, LM Studio, TGI, OpenRouter), on the official `openai` SDK with its own retries off: the
 * router's client retries and falls back. Every failure becomes a classified `LlmError`.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
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

export interface OpenAICompatibleModelOptions {
  /** The provider id (`llm_providers.id`), for errors and records. */
  readonly provider: string;
  /** API root including the version path: `http://127.0.0.1:8000/v1`. */
  readonly baseUrl: string;
  readonly model: string;
  /** Sent as `Authorization: Bearer`; never in an error message. */
  readonly apiKey?: string;
  /** Per request (connection to last byte); 60 s by default. */
  readonly timeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

const DEFAULT_TIMEOUT_MS = 60_000;
// Enough of a failure's detail to diagnose it, not enough to flood a log line.
const MAX_DETAIL_CHARS = 300;

const FINISH: Readonly<Record<string, FinishReason>> = {
  stop: 'stop',
  length: 'length',
  content_filter: 'content_filter',
  tool_calls: 'stop',
  function_call: 'stop',
};

/**
 * @example
 * const model = createOpenAICompatibleModel({ provider: 'local', baseUrl: 'http://127.0.0.1:11434/v1', model: 'qwen2.5-coder' });
 * for await (const part of model.stream({ messages: [{ role: 'user', content: 'hi' }] })) ...
 */
export function createOpenAICompatibleModel(options: OpenAICompatibleModelOptions): LanguageModel {
  const client = new OpenAI({
    baseURL: options.baseUrl,
    apiKey: options.apiKey ?? 'none',
    // Explicit values, so the SDK does not pick these up from OPENAI_* environment variables.
    organization: null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
    logLevel: 'off',
    maxRetries: 0,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(options.headers ? { defaultHeaders: { ...options.headers } } : {}),
  });
  const who = { provider: options.provider, model: options.model };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const classify = (error: unknown, signal: AbortSignal | undefined, deadline: Deadline, opened: boolean) =>
    classifyError(error, signal, deadline, opened, who, options.apiKey, timeoutMs);

  const body = (request: ChatRequest) => ({
    model: options.model,
    messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
    ...(request.maxOutputTokens !== undefined ? { max_tokens: request.maxOutputTokens } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.responseFormat
      ? {
          response_format: {
            type: 'json_schema' as const,
            json_schema: {
              name: request.responseFormat.name,
              schema: { ...request.responseFormat.schema },
              strict: true,
            },
          },
        }
      : {}),
  });

  return {
    provider: options.provider,
    model: options.model,

    async generate(request: ChatRequest): Promise<ChatResult> {
      let response: OpenAI.Chat.Completions.ChatCompletion;
      const deadline = createDeadline(timeoutMs, request.signal);
      try {
        response = await client.chat.completions.create(body(request), { signal: deadline.signal });
      } catch (error) {
        throw classify(error, request.signal, deadline, false);
      } finally {
        deadline.dispose();
      }
      const choice = response.choices?.[0];
      if (!choice || typeof choice.message?.content !== 'string')
        throw new LlmError(
          'LLM_INVALID_RESPONSE',
          `${options.provider}/${options.model} returned no message`,
          who,
        );
      return {
        text: choice.message.content,
        usage: usageOf(response.usage),
        finishReason: FINISH[choice.finish_reason ?? ''] ?? 'other',
        model: response.model ?? options.model,
      };
    },

    async *stream(request: ChatRequest): AsyncIterable<ChatStreamPart> {
      let finish: FinishReason | undefined;
      let usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
      let model = options.model;
      // Once the response has begun, a broken connection is an interrupted stream, not a network error.
      let opened = false;
      // The deadline restarts with every chunk: it catches a provider that stalls, not a long answer.
      const deadline = createDeadline(timeoutMs, request.signal);
      try {
        const stream = await client.chat.completions.create(
          { ...body(request), stream: true, stream_options: { include_usage: true } },
          { signal: deadline.signal },
        );
        opened = true;
        for await (const chunk of stream) {
          deadline.touch();
          if (chunk.model) model = chunk.model;
          if (chunk.usage) usage = usageOf(chunk.usage);
          const choice = chunk.choices?.[0];
          const text = choice?.delta?.content;
          if (text) yield { type: 'text-delta', text };
          if (choice?.finish_reason) finish = FINISH[choice.finish_reason] ?? 'other';
        }
      } catch (error) {
        throw classify(error, request.signal, deadline, opened);
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
      if (finish === undefined)
        throw new LlmError(
          'LLM_STREAM_INTERRUPTED',
          `${options.provider}/${options.model} stream ended without a finish reason`,
          who,
        );
      yield { type: 'finish', usage, finishReason: finish, model };
    },
  };
}

function usageOf(u: { prompt_tokens?: number; completion_tokens?: number } | null | undefined): TokenUsage {
  return { inputTokens: u?.prompt_tokens ?? 0, outputTokens: u?.completion_tokens ?? 0 };
}

/** An SDK failure as an `LlmError`; a caller's abort is rethrown as it is. */
function classifyError(
  error: unknown,
  signal: AbortSignal | undefined,
  deadline: Deadline,
  opened: boolean,
  who: { provider: string; model: string },
  apiKey: string | undefined,
  timeoutMs: number,
): unknown {
  if (signal?.aborted) return signal.reason ?? error;
  if (error instanceof LlmError) return error;
  const where = `${who.provider}/${who.model}`;
  const base = { ...who, cause: redactedCause(error, apiKey) };
  if (deadline.expired() || error instanceof APIConnectionTimeoutError)
    return new LlmError('LLM_TIMEOUT', `${where} made no progress within ${timeoutMs} ms`, base);
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
    const body = error.error as { message?: unknown; error?: { message?: unknown } } | undefined;
    const providerMessage =
      typeof body?.message === 'string'
        ? body.message
        : typeof body?.error?.message === 'string'
          ? body.error.message
          : error.message;
    return classifyHttpFailure({
      status: error.status,
      message: redactSecret(providerMessage, apiKey),
      retryAfter: error.headers?.get('retry-after'),
      ...base,
    });
  }
  const detail = redactSecret(describeCauseChain(error), apiKey).slice(0, MAX_DETAIL_CHARS);
  // Malformed JSON, in the whole body or in one event of a stream.
  if (error instanceof SyntaxError)
    return new LlmError('LLM_INVALID_RESPONSE', `${where} sent an unreadable response: ${detail}`, base);
  // Once the response has begun, a dropped connection or an error event cuts the stream short.
  if (opened) return new LlmError('LLM_STREAM_INTERRUPTED', `${where} stream broke: ${detail}`, base);
  // The connection dropped while the whole body was being read.
  if (findNetworkErrorCode(error))
    return new LlmError('LLM_NETWORK', `${where}: connection lost (${detail})`, base);
  return new LlmError('LLM_INVALID_RESPONSE', `${where}: ${detail}`, base);
}
