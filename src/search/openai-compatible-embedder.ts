/**
 * Embedder for any server that speaks OpenAI's `POST /v1/embeddings` (OpenAI, TEI, Ollama, vLLM,
 * hosted BGE-M3 ...), through the official `openai` SDK. The SDK's own retries are off: this file
 * retries 429 (honouring `Retry-After`), 5xx, timeouts and network errors with exponential backoff
 * and jitter, never other 4xx, and classifies every failure into an `EmbeddingError`.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, OpenAIError } from 'openai';
import { describeCauseChain, parseRetryAfterMs } from '../core/index.ts';
import type { Embedder } from './embedder.ts';
import { EmbeddingError, type EmbeddingErrorCode, type EmbeddingErrorOptions } from './errors.ts';

const DEFAULT_BATCH_SIZE = 64;
const DEFAULT_MAX_RETRIES = 3;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRY_BASE_DELAY_MS = 500;
const DEFAULT_RETRY_MAX_DELAY_MS = 20_000;
const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;
// Enough of a server's error body to diagnose it, not enough to flood a log line.
const MAX_DETAIL_CHARS = 300;

/** Options for `createOpenAICompatibleEmbedder`. */
export interface OpenAICompatibleEmbedderOptions {
  /** API root including the version path, e.g. `http://127.0.0.1:8080/v1`; requests go to `<baseUrl>/embeddings`. */
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`; never appears in an error message. */
  readonly apiKey?: string | undefined;
  readonly model: string;
  /** Length every returned vector must have. */
  readonly dimension: number;
  /** Texts per request; 64 by default. */
  readonly batchSize?: number;
  /** Retries after the first attempt of each request; 3 by default. */
  readonly maxRetries?: number;
  /** Per attempt; 30 s by default. */
  readonly timeoutMs?: number;
  /** First backoff step (doubled each retry, then jittered to 50-100 %); 500 ms by default. */
  readonly retryBaseDelayMs?: number;
  /** Cap on one backoff step; 20 s by default. */
  readonly retryMaxDelayMs?: number;
  /**
   * A 429 whose `Retry-After` asks for longer than this is not waited out: the call fails at once
   * with `EMBEDDING_RATE_LIMITED` (retryable, `retryAfterMs` set) for the caller to reschedule. 60 s by default.
   */
  readonly maxRetryAfterMs?: number;
}

type ResolvedOptions = Required<Omit<OpenAICompatibleEmbedderOptions, 'apiKey'>> & {
  readonly apiKey: string | undefined;
};

/**
 * An `Embedder` backed by an OpenAI-compatible embeddings endpoint. Throws `EMBEDDING_CONFIG` for bad options.
 *
 * @example
 * const embedder = createOpenAICompatibleEmbedder({
 *   baseUrl: 'http://127.0.0.1:8080/v1', model: 'BAAI/bge-m3', dimension: 1024,
 * });
 * const [vector] = await embedder.embed(['function parseConfigFile(path: string)']);
 */
export function createOpenAICompatibleEmbedder(options: OpenAICompatibleEmbedderOptions): Embedder {
  return new OpenAICompatibleEmbedder(resolveOptions(options));
}

class OpenAICompatibleEmbedder implements Embedder {
  readonly model: string;
  readonly dimension: number;
  readonly #options: ResolvedOptions;
  readonly #client: OpenAI;
  readonly #endpoint: string;

  constructor(options: ResolvedOptions) {
    this.model = options.model;
    this.dimension = options.dimension;
    this.#options = options;
    this.#endpoint = describeEndpoint(options.baseUrl);
    this.#client = new OpenAI({
      baseURL: options.baseUrl,
      apiKey: options.apiKey ?? 'none',
      // Explicit values, so the SDK does not pick these up from OPENAI_* environment variables.
      organization: null,
      project: null,
      adminAPIKey: null,
      webhookSecret: null,
      logLevel: 'off',
      maxRetries: 0,
      timeout: options.timeoutMs,
    });
  }

  async embed(
    texts: readonly string[],
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<number[][]> {
    const vectors: number[][] = [];
    for (let start = 0; start < texts.length; start += this.#options.batchSize) {
      options.signal?.throwIfAborted();
      const batch = texts.slice(start, start + this.#options.batchSize);
      const body = await this.#requestWithRetries(batch, options.signal);
      for (const vector of this.#readVectors(body, batch.length)) vectors.push(vector);
    }
    return vectors;
  }

  async #requestWithRetries(batch: string[], signal: AbortSignal | undefined): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#client.embeddings.create(
          { model: this.model, input: batch, encoding_format: 'float' },
          { signal },
        );
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const failure = this.#classify(error, attempt + 1);
        if (!failure.isRetryable || attempt >= this.#options.maxRetries) throw failure;
        const waitMs = this.#retryDelayMs(failure, attempt);
        if (waitMs === undefined) throw failure;
        await sleep(waitMs, signal);
      }
    }
  }

  /** Backoff before the next attempt, or undefined when the server asked for longer than we wait. */
  #retryDelayMs(failure: EmbeddingError, attempt: number): number | undefined {
    if (failure.retryAfterMs !== undefined) {
      return failure.retryAfterMs > this.#options.maxRetryAfterMs ? undefined : failure.retryAfterMs;
    }
    const stepMs = Math.min(this.#options.retryMaxDelayMs, this.#options.retryBaseDelayMs * 2 ** attempt);
    return stepMs / 2 + (Math.random() * stepMs) / 2;
  }

  #classify(error: unknown, attempts: number): EmbeddingError {
    const context = `Embedding request to ${this.#endpoint} (model "${this.model}") failed after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
    const cause = this.#safeCause(error);
    const fail = (code: EmbeddingErrorCode, problem: string, extra: EmbeddingErrorOptions = {}) =>
      new EmbeddingError(code, `${context}: ${this.#redact(problem).slice(0, MAX_DETAIL_CHARS)}`, {
        cause,
        ...extra,
      });
    const detail = error instanceof Error ? error.message : String(error);
    if (error instanceof APIConnectionTimeoutError) {
      return fail('EMBEDDING_TIMEOUT', `no response within ${this.#options.timeoutMs} ms`);
    }
    if (error instanceof APIConnectionError) return fail('EMBEDDING_NETWORK', describeConnectionError(error));
    if (error instanceof APIError && typeof error.status === 'number') {
      if (error.status !== 429)
        return fail('EMBEDDING_HTTP_ERROR', `HTTP ${detail}`, { status: error.status });
      const retryAfterMs = parseRetryAfterMs(error.headers);
      const wait = retryAfterMs === undefined ? '' : ` (Retry-After ${retryAfterMs} ms)`;
      return fail('EMBEDDING_RATE_LIMITED', `rate limited${wait}: ${detail}`, { status: 429, retryAfterMs });
    }
    if (error instanceof APIError) return fail('EMBEDDING_NETWORK', detail);
    // A 2xx whose body is not JSON (SyntaxError from JSON.parse) or that the SDK cannot read.
    if (error instanceof SyntaxError || error instanceof OpenAIError) {
      return fail('EMBEDDING_BAD_RESPONSE', `unreadable response body: ${detail}`);
    }
    return fail('EMBEDDING_NETWORK', detail);
  }

  #readVectors(body: unknown, count: number): number[][] {
    const data = isRecord(body) ? body.data : undefined;
    if (!Array.isArray(data)) throw this.#badResponse('the body has no "data" array');
    if (data.length !== count) throw this.#badResponse(`expected ${count} embeddings, got ${data.length}`);
    const vectors: (number[] | undefined)[] = new Array(count);
    data.forEach((item: unknown, position) => {
      if (!isRecord(item)) throw this.#badResponse(`data[${position}] is not an object`);
      // `index` says which input an item belongs to; servers may answer out of order.
      const index = item.index ?? position;
      if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= count) {
        throw this.#badResponse(
          `data[${position}] has index ${JSON.stringify(index)}, outside 0..${count - 1}`,
        );
      }
      if (vectors[index] !== undefined) throw this.#badResponse(`index ${index} appears twice`);
      const embedding = item.embedding;
      if (!Array.isArray(embedding)) throw this.#badResponse(`data[${position}].embedding is not an array`);
      if (embedding.length !== this.dimension) {
        throw new EmbeddingError(
          'EMBEDDING_DIMENSION_MISMATCH',
          `Model "${this.model}" at ${this.#endpoint} returned a ${embedding.length}-dimensional vector; expected ${this.dimension}`,
        );
      }
      if (!embedding.every((x) => typeof x === 'number' && Number.isFinite(x))) {
        throw this.#badResponse(`data[${position}].embedding holds something other than finite numbers`);
      }
      vectors[index] = embedding as number[];
    });
    return vectors as number[][];
  }

  #badResponse(problem: string): EmbeddingError {
    return new EmbeddingError(
      'EMBEDDING_BAD_RESPONSE',
      `Malformed embeddings response from ${this.#endpoint} (model "${this.model}"): ${problem}`,
    );
  }

  #redact(text: string): string {
    const key = this.#options.apiKey;
    return key ? text.split(key).join('[redacted]') : text;
  }

  // A server may echo the key in its error body; then the cause is a redacted copy, not the SDK error.
  #safeCause(error: unknown): unknown {
    const key = this.#options.apiKey;
    if (!key || !(error instanceof Error)) return error;
    const body = error instanceof APIError ? JSON.stringify(error.error ?? null) : '';
    if (!error.message.includes(key) && !body.includes(key)) return error;
    const copy = new Error(this.#redact(error.message));
    copy.name = error.name;
    return copy;
  }
}

function resolveOptions(options: OpenAICompatibleEmbedderOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    baseUrl: options.baseUrl,
    apiKey: options.apiKey,
    model: options.model,
    dimension: options.dimension,
    batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
    maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retryBaseDelayMs: options.retryBaseDelayMs ?? DEFAULT_RETRY_BASE_DELAY_MS,
    retryMaxDelayMs: options.retryMaxDelayMs ?? DEFAULT_RETRY_MAX_DELAY_MS,
    maxRetryAfterMs: options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS,
  };
  const problems: string[] = [];
  if (!isHttpUrl(resolved.baseUrl)) problems.push('baseUrl must be an http(s) URL');
  // fetch refuses such URLs outright; the key belongs in apiKey, where it is never logged.
  else if (hasCredentials(resolved.baseUrl))
    problems.push('baseUrl must not contain user:password@ (use apiKey)');
  if (typeof resolved.model !== 'string' || resolved.model.trim() === '') problems.push('model must be set');
  const integers = { dimension: 1, batchSize: 1, maxRetries: 0 } as const;
  for (const [name, min] of Object.entries(integers)) {
    const value = resolved[name as keyof typeof integers];
    if (!Number.isInteger(value) || value < min)
      problems.push(`${name} must be an integer >= ${min}, got ${value}`);
  }
  const durations = ['timeoutMs', 'retryBaseDelayMs', 'retryMaxDelayMs', 'maxRetryAfterMs'] as const;
  for (const name of durations) {
    const value = resolved[name];
    const min = name === 'timeoutMs' ? 1 : 0;
    if (!Number.isFinite(value) || value < min)
      problems.push(`${name} must be a number >= ${min}, got ${value}`);
  }
  if (problems.length > 0) {
    throw new EmbeddingError('EMBEDDING_CONFIG', `Invalid embedder options: ${problems.join('; ')}`);
  }
  return resolved;
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const url = URL.parse(value);
  return url !== null && (url.protocol === 'http:' || url.protocol === 'https:');
}

function hasCredentials(value: string): boolean {
  const url = new URL(value);
  return url.username !== '' || url.password !== '';
}

// Origin and path only: user:password@ and query strings can hold credentials.
function describeEndpoint(baseUrl: string): string {
  const url = new URL(baseUrl);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}/embeddings`;
}

// undici reports "fetch failed" and hides the useful part (ECONNREFUSED, ENOTFOUND ...) in its causes.
function describeConnectionError(error: APIConnectionError): string {
  return error.cause instanceof Error
    ? `connection failed (${describeCauseChain(error.cause)})`
    : error.message;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
