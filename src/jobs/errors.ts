import { CogoError, EnvelopeError } from '../core/index.ts';
import type { DlqReason, JobState } from './states.ts';

/** The codes of `JobError`. */
export const JOB_ERROR_CODES = [
  'JOB_NOT_FOUND',
  'JOB_TYPE_UNKNOWN',
  'JOB_TRANSITION_INVALID',
  'JOB_QUEUE_FAILED',
] as const;
export type JobErrorCode = (typeof JOB_ERROR_CODES)[number];

/** A misuse of the jobs API or a failure of the queue engine. */
export class JobError extends CogoError {
  declare readonly code: JobErrorCode;

  constructor(code: JobErrorCode, message: string, options: { cause?: unknown; isRetryable?: boolean } = {}) {
    super(code, message, options);
    this.name = 'JobError';
  }
}

/** Raised when a write would break the state machine (a bug, or a race the caller must handle). */
export function invalidTransition(jobId: string, from: JobState | undefined, to: JobState): JobError {
  return new JobError('JOB_TRANSITION_INVALID', `job ${jobId}: ${from ?? '(none)'} -> ${to} is not allowed`);
}

/**
 * What a handler throws to say how its job failed: the DLQ reason, and whether another attempt could
 * succeed. A retryable failure is retried while attempts remain (then dead as `MAX_ATTEMPTS`); a
 * non-retryable one goes to the DLQ at once with its reason.
 *
 * @example
 * throw new JobFailure('PARSE_ERROR', `cannot parse ${path}`, { cause, isRetryable: false });
 */
export class JobFailure extends CogoError {
  readonly reason: DlqReason;

  constructor(reason: DlqReason, message: string, options: { cause?: unknown; isRetryable?: boolean } = {}) {
    super(`JOB_${reason}`, message, { cause: options.cause, isRetryable: options.isRetryable ?? false });
    this.name = 'JobFailure';
    this.reason = reason;
  }
}

/** How a failed attempt is classified: retry it, or send it to the DLQ with this reason. */
export interface FailureClass {
  readonly retryable: boolean;
  /** The DLQ reason if the job goes dead with this failure; `MAX_ATTEMPTS` when it names none. */
  readonly reason: DlqReason;
}

/**
 * Classifies what a handler threw. Only a failure that says why goes to the DLQ at once: a
 * `JobFailure` says for itself, and an invalid envelope or payload (`EnvelopeError`, a zod error) is
 * `INVALID_INPUT`. A `TimeoutError` (the lease signal's reason) is `TIMEOUT`, retried. Everything
 * else is retried until the attempts run out (then `MAX_ATTEMPTS`), including a `CogoError` with
 * `isRetryable: false`: that is every CogoError's default, and most were classified for their caller
 * (a dropped database connection shows as non-retryable `DB_QUERY_FAILED`), not for a job, so
 * `maxAttempts` bounds the cost instead. A handler that knows better throws a `JobFailure`.
 */
export function classifyFailure(error: unknown): FailureClass {
  if (error instanceof JobFailure) return { retryable: error.isRetryable, reason: error.reason };
  if (error instanceof EnvelopeError) return { retryable: false, reason: 'INVALID_INPUT' };
  // What a handler throws when it gives up on `context.signal` at the end of its lease.
  if (error instanceof Error && error.name === 'TimeoutError') return { retryable: true, reason: 'TIMEOUT' };
  if (error instanceof Error && error.name === 'ZodError')
    return { retryable: false, reason: 'INVALID_INPUT' };
  return { retryable: true, reason: 'MAX_ATTEMPTS' };
}
