import { CogoError, describeCauseChain, parseRetryAfter, parseRetryAfterMs } from '../core/index.ts';

export { describeCauseChain, parseRetryAfter };

export const LLM_ERROR_CODES = [
  'LLM_HTTP_ERROR',
  'LLM_RATE_LIMITED',
  'LLM_TIMEOUT',
  'LLM_NETWORK',
  'LLM_AUTH',
  'LLM_CONTENT_POLICY',
  'LLM_CONTEXT_WINDOW',
  'LLM_INVALID_REQUEST',
  'LLM_INVALID_RESPONSE',
  'LLM_STREAM_INTERRUPTED',
  'LLM_FIRST_TOKEN_TIMEOUT',
  'LLM_CIRCUIT_OPEN',
  'LLM_NO_CANDIDATE',
  'LLM_ALL_FAILED',
] as const;
export type LlmErrorCode = (typeof LLM_ERROR_CODES)[number];

const RETRYABLE: ReadonlySet<LlmErrorCode> = new Set([
  'LLM_RATE_LIMITED',
  'LLM_TIMEOUT',
  'LLM_NETWORK',
  'LLM_STREAM_INTERRUPTED',
  'LLM_FIRST_TOKEN_TIMEOUT',
]);

export interface LlmErrorOptions {
  readonly cause?: unknown;
  readonly status?: number;
  /** From a Retry-After header (seconds or HTTP date), in milliseconds. */
  readonly retryAfterMs?: number;
  readonly provider?: string;
  readonly model?: string;
  /** Overrides the code's default (5xx HTTP errors are retryable, other statuses not). */
  readonly isRetryable?: boolean;
}

/** A classified language-model failure. The message never holds a key or a prompt. */
export class LlmError extends CogoError {
  declare readonly code: LlmErrorCode;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly provider: string | undefined;
  readonly model: string | undefined;

  constructor(code: LlmErrorCode, message: string, options: LlmErrorOptions = {}) {
    super(code, message, {
      cause: options.cause,
      isRetryable: options.isRetryable ?? RETRYABLE.has(code),
    });
    this.name = 'LlmError';
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.provider = options.provider;
    this.model = options.model;
  }
}

const CONTEXT_WINDOW =
  /context.{0,20}(length|window)|maximum.{0,30}tokens|too many tokens|prompt is too long|too long/i;
const CONTENT_POLICY = /content.?(policy|filter|management)|safety|moderation|flagged/i;

export interface HttpFailure {
  readonly status: number;
  /** The provider's error message (never echoed with request data). */
  readonly message: string;
  /** The response's headers, for `retry-after-ms` / `Retry-After`. */
  readonly headers?: Headers;
  readonly provider: string;
  readonly model: string;
  readonly cause?: unknown;
}

/**
 * Classifies an HTTP error response: 429 rate limit (with Retry-After), 401/403 auth, 408 timeout,
 * context-window and content-policy refusals (by status and the provider's message), other 4xx
 * invalid requests (not retryable), 5xx and Anthropic's 529 overload (retryable).
 */
export function classifyHttpFailure(f: HttpFailure): LlmError {
  const where = `${f.provider}/${f.model}`;
  const base = { status: f.status, provider: f.provider, model: f.model, cause: f.cause };
  const detail = f.message ? `: ${f.message.slice(0, 300)}` : '';
  if (f.status === 429)
    return new LlmError('LLM_RATE_LIMITED', `${where} rate limited (429)${detail}`, {
      ...base,
      retryAfterMs: parseRetryAfterMs(f.headers),
    });
  if (f.status === 401 || f.status === 403)
    return new LlmError('LLM_AUTH', `${where} refused the credentials (${f.status})${detail}`, base);
  if (f.status === 408) return new LlmError('LLM_TIMEOUT', `${where} timed out (408)${detail}`, base);
  if (f.status >= 500)
    return new LlmError('LLM_HTTP_ERROR', `${where} failed with ${f.status}${detail}`, {
      ...base,
      isRetryable: true,
      retryAfterMs: parseRetryAfterMs(f.headers),
    });
  if (CONTEXT_WINDOW.test(f.message))
    return new LlmError(
      'LLM_CONTEXT_WINDOW',
      `${where} context window exceeded (${f.status})${detail}`,
      base,
    );
  if (CONTENT_POLICY.test(f.message))
    return new LlmError(
      'LLM_CONTENT_POLICY',
      `${where} refused by content policy (${f.status})${detail}`,
      base,
    );
  return new LlmError('LLM_INVALID_REQUEST', `${where} rejected the request (${f.status})${detail}`, base);
}

/** `text` with every occurrence of `secret` replaced; unchanged when there is no secret. */
export function redactSecret(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('[redacted]') : text;
}

/**
 * `error` fit to be an `LlmError`'s cause: itself, or a redacted copy (name and message only) when
 * its message chain or its parsed error body holds `secret`; a server may echo the key it was sent.
 */
export function redactedCause(error: unknown, secret: string | undefined): unknown {
  if (!secret || !(error instanceof Error)) return error;
  const body = (error as { error?: unknown }).error;
  const text = `${describeCauseChain(error)}\n${body === undefined ? '' : JSON.stringify(body)}`;
  if (!text.includes(secret)) return error;
  const copy = new Error(redactSecret(error.message, secret));
  copy.name = error.name;
  return copy;
}

// System and undici error codes (ECONNREFUSED, ENOTFOUND, EAI_AGAIN, UND_ERR_SOCKET ...), as opposed to
// the `code` a provider puts in its error body (`rate_limit_exceeded`).
const NETWORK_CODE = /^(E[A-Z_]+|UND_ERR_[A-Z_]+)$/;

/** The first system or undici error code down an error's cause chain; undefined when there is none. */
export function findNetworkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODE.test(code)) return code;
    current = current.cause;
  }
  return undefined;
}

// Enough of a failure's detail to diagnose it, not enough to flood a log line.
const MAX_DETAIL_CHARS = 300;

type ErrorClass = abstract new (...args: never[]) => Error;

/** The error classes the `openai` and `@anthropic-ai/sdk` SDKs both export, under these names. */
export interface SdkErrorClasses {
  readonly APIError: ErrorClass;
  readonly APIConnectionError: ErrorClass;
  readonly APIConnectionTimeoutError: ErrorClass;
  readonly APIUserAbortError: ErrorClass;
}

export interface SdkFailure {
  readonly error: unknown;
  /** The caller's signal: its abort is passed through, never classified. */
  readonly signal: AbortSignal | undefined;
  /** The adapter's own deadline fired. */
  readonly timedOut: boolean;
  /** The response had begun (a stream was being read). */
  readonly opened: boolean;
  readonly provider: string;
  readonly model: string;
  readonly apiKey: string | undefined;
}

/**
 * A provider SDK's failure as an `LlmError`: timeouts, refused or dropped connections, HTTP statuses
 * (with the provider's message and Retry-After), unreadable data, streams cut short. The caller's
 * abort is returned as it is. The key never reaches a message or a cause.
 */
export function classifySdkError(f: SdkFailure, sdk: SdkErrorClasses): unknown {
  const { error, apiKey } = f;
  if (f.signal?.aborted) return f.signal.reason ?? error;
  if (error instanceof LlmError) return error;
  const who = { provider: f.provider, model: f.model };
  const where = `${f.provider}/${f.model}`;
  const base = { ...who, cause: redactedCause(error, apiKey) };
  if (f.timedOut || error instanceof sdk.APIConnectionTimeoutError)
    return new LlmError('LLM_TIMEOUT', `${where} made no progress in time`, base);
  if (error instanceof sdk.APIUserAbortError) return error;
  if (error instanceof sdk.APIConnectionError) {
    const reason = redactSecret(describeCauseChain(error.cause ?? error), apiKey);
    return new LlmError(
      'LLM_NETWORK',
      `${where}: connection failed (${reason.slice(0, MAX_DETAIL_CHARS)})`,
      base,
    );
  }
  const status = (error as { status?: unknown }).status;
  if (error instanceof sdk.APIError && typeof status === 'number') {
    // OpenAI-compatible servers put the message at `error.message` or at the top; Anthropic at `error.message`.
    const body = (error as { error?: { message?: unknown; error?: { message?: unknown } } }).error;
    const message =
      typeof body?.message === 'string'
        ? body.message
        : typeof body?.error?.message === 'string'
          ? body.error.message
          : error.message;
    return classifyHttpFailure({
      status,
      message: redactSecret(message, apiKey),
      headers: (error as { headers?: Headers }).headers,
      ...base,
    });
  }
  const detail = redactSecret(describeCauseChain(error), apiKey).slice(0, MAX_DETAIL_CHARS);
  // Malformed JSON, in the whole body or in one event of a stream.
  if (error instanceof SyntaxError)
    return new LlmError('LLM_INVALID_RESPONSE', `${where} sent an unreadable response: ${detail}`, base);
  // Once the response has begun, a dropped connection or an error event cuts the stream short.
  if (f.opened) return new LlmError('LLM_STREAM_INTERRUPTED', `${where} stream broke: ${detail}`, base);
  // The connection dropped while the whole body was being read.
  if (findNetworkErrorCode(error))
    return new LlmError('LLM_NETWORK', `${where}: connection lost (${detail})`, base);
  return new LlmError('LLM_INVALID_RESPONSE', `${where}: ${detail}`, base);
}
