/**
 * The language-model port: one chat completion, whole or streamed, with token usage and optional
 * JSON-structured output. Adapters: `openai-compatible-model.ts` (OpenAI, vLLM, Ollama, LM Studio,
 * TGI, OpenRouter) and `anthropic-model.ts`. Errors are `LlmError`s classified by the adapter.
 */

export const CHAT_ROLES = ['system', 'user', 'assistant'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

export interface ChatMessage {
  readonly role: ChatRole;
  readonly content: string;
}

/** Ask for a JSON object that satisfies `schema` (JSON Schema); the provider's structured output enforces it. */
export interface JsonResponseFormat {
  readonly type: 'json';
  readonly name: string;
  readonly schema: Readonly<Record<string, unknown>>;
}

export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  readonly maxOutputTokens?: number;
  readonly temperature?: number;
  readonly responseFormat?: JsonResponseFormat;
  /** Aborts the request (and a stream being read). */
  readonly signal?: AbortSignal;
}

export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export const FINISH_REASONS = ['stop', 'length', 'content_filter', 'other'] as const;
export type FinishReason = (typeof FINISH_REASONS)[number];

export interface ChatResult {
  readonly text: string;
  readonly usage: TokenUsage;
  readonly finishReason: FinishReason;
  /** The model as the provider reported it. */
  readonly model: string;
}

/** A stream is text deltas and exactly one `finish`; a stream that ends without it is an error. */
export type ChatStreamPart =
  | { readonly type: 'text-delta'; readonly text: string }
  | {
      readonly type: 'finish';
      readonly usage: TokenUsage;
      readonly finishReason: FinishReason;
      readonly model: string;
    };

export interface LanguageModel {
  /** The provider id (`llm_providers.id`). */
  readonly provider: string;
  /** The provider's model name. */
  readonly model: string;
  /** One completion, whole. */
  generate(request: ChatRequest): Promise<ChatResult>;
  /** One completion as it is produced. Throws `LlmError` `LLM_STREAM_INTERRUPTED` if it stops early. */
  stream(request: ChatRequest): AsyncIterable<ChatStreamPart>;
}
