import { CogoError } from '../core/index.ts';

/** Every way an embedding call can fail; callers branch on these, never on message text. */
export const EMBEDDING_ERROR_CODES = [
  'EMBEDDING_HTTP_ERROR',
  'EMBEDDING_RATE_LIMITED',
  'EMBEDDING_TIMEOUT',
  'EMBEDDING_NETWORK',
  'EMBEDDING_BAD_RESPONSE',
  'EMBEDDING_DIMENSION_MISMATCH',
  'EMBEDDING_CONFIG',
] as const;

export type EmbeddingErrorCode = (typeof EMBEDDING_ERROR_CODES)[number];

export interface EmbeddingErrorOptions {
  readonly cause?: unknown;
  /** Overrides the default decided by `isRetryableEmbeddingFailure(code, status)`. */
  readonly isRetryable?: boolean;
  /** HTTP status, for `EMBEDDING_HTTP_ERROR` and `EMBEDDING_RATE_LIMITED`. */
  readonly status?: number | undefined;
  /** How long the server asked us to wait (`Retry-After`), for `EMBEDDING_RATE_LIMITED`. */
  readonly retryAfterMs?: number | undefined;
}

/**
 * Whether a failure may succeed if the same request is sent again: rate limits, 5xx, timeouts and
 * network errors may; other 4xx, malformed bodies, wrong dimensions and bad configuration never will.
 */
export function isRetryableEmbeddingFailure(code: EmbeddingErrorCode, status?: number): boolean {
  switch (code) {
    case 'EMBEDDING_RATE_LIMITED':
    case 'EMBEDDING_TIMEOUT':
    case 'EMBEDDING_NETWORK':
      return true;
    case 'EMBEDDING_HTTP_ERROR':
      return status !== undefined && status >= 500;
    default:
      return false;
  }
}

/** A failed embedding call or a misconfigured embedder. Messages never contain the API key. */
export class EmbeddingError extends CogoError {
  override readonly code: EmbeddingErrorCode;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: EmbeddingErrorCode, message: string, options: EmbeddingErrorOptions = {}) {
    super(code, message, {
      cause: options.cause,
      isRetryable: options.isRetryable ?? isRetryableEmbeddingFailure(code, options.status),
    });
    this.name = 'EmbeddingError';
    this.code = code;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The in-process vector scan read a different number of vectors than it counted in the same snapshot. */
export class VectorScanError extends CogoError {
  override readonly code = 'VECTOR_SCAN_INCONSISTENT' as const;

  constructor(message: string, options: { readonly cause?: unknown } = {}) {
    super('VECTOR_SCAN_INCONSISTENT', message, { cause: options.cause, isRetryable: true });
    this.name = 'VectorScanError';
  }
}
