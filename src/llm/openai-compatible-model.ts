/**
 * `LanguageModel` for any server that speaks OpenAI's `POST /v1/chat/completions` (OpenAI, vLLM,
 * Ollama, LM Studio, TGI, OpenRouter), on the official `openai` SDK with its own retries off: the
 * router's client retries and falls back. Every failure becomes a classified `LlmError`.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
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
const SDK_ERRORS = { APIError, APIConnectionError, APIConnectionTimeoutError, APIUserAbortError };

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
    classifySdkError(
      { error, signal, timedOut: deadline.expired(), opened, ...who, apiKey: options.apiKey },
      SDK_ERRORS,
    );

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
      // A structured-output refusal comes as `message.refusal`, with no content: the model declined.
      const refusal = choice?.message?.refusal;
      if (choice && typeof refusal === 'string' && typeof choice.message.content !== 'string')
        return {
          text: refusal,
          usage: usageOf(response.usage),
          finishReason: 'content_filter',
          model: response.model ?? options.model,
        };
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
      let refused = false;
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
          // A refusal streams as `delta.refusal` and ends with `stop`: it is a refusal, not an answer.
          const refusalText = choice?.delta?.refusal;
          if (refusalText) {
            refused = true;
            yield { type: 'text-delta', text: refusalText };
          }
          if (choice?.finish_reason)
            finish = refused ? 'content_filter' : (FINISH[choice.finish_reason] ?? 'other');
        }
      } catch (error) {
        throw classify(error, request.signal, deadline, opened);
      } finally {
        deadline.dispose();
      }
      deadline.throwIfEnded(who);
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
