/** The job state machine (docs/specs/JOB_STATE_MACHINE_V1.md): states, allowed transitions, DLQ reasons. */

/** The states of a job (docs/specs/JOB_STATE_MACHINE_V1.md). */
export const JOB_STATES = [
  'queued',
  'active',
  'succeeded',
  'failed',
  'retrying',
  'dead',
  'cancelled',
] as const;
export type JobState = (typeof JOB_STATES)[number];

/** Why a job is dead (or cancelled): the standard dead-letter reason codes. */
export const DLQ_REASONS = [
  'PARSE_ERROR',
  'TIMEOUT',
  'PROVIDER_UNAVAILABLE',
  'INVALID_INPUT',
  'MAX_ATTEMPTS',
  'CANCELLED',
  'COMPENSATION_FAILED',
] as const;
export type DlqReason = (typeof DLQ_REASONS)[number];

/** A job leaves these only by a redrive (dead) or never (succeeded, cancelled). */
export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'dead', 'cancelled'];

/**
 * Every allowed transition. `failed` is passed through in the same transaction that records why an
 * attempt failed: it always continues to `retrying` or `dead`.
 */
export const TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  queued: ['active', 'cancelled'],
  active: ['succeeded', 'failed', 'cancelled'],
  failed: ['retrying', 'dead'],
  retrying: ['active', 'cancelled'],
  dead: ['queued'],
  succeeded: [],
  cancelled: [],
};

/** Whether `from -> to` is a transition of the state machine (`undefined -> queued` is the enqueue). */
export function canTransition(from: JobState | undefined, to: JobState): boolean {
  if (from === undefined) return to === 'queued';
  return TRANSITIONS[from].includes(to);
}

/** Whether `value` is one of the DLQ reason codes. */
export function isDlqReason(value: unknown): value is DlqReason {
  return typeof value === 'string' && (DLQ_REASONS as readonly string[]).includes(value);
}
