import type { Logger } from '../core/index.ts';
import type { Db } from '../db/index.ts';
import { invalidTransition } from './errors.ts';
import { countConflict, countTransition } from './metrics.ts';
import { canTransition, type DlqReason, type JobState } from './states.ts';
import { insertJobEvent, type JobEvent } from './store.ts';

/** The job a transition is about. */
export interface JobRef {
  readonly id: string;
  readonly queue: string;
  readonly correlationId: string;
}

export interface StepOptions {
  readonly attempt: number;
  readonly reason?: DlqReason | null | undefined;
  readonly workerId?: string | null | undefined;
  readonly detail?: string | null | undefined;
}

type Recorded = Omit<JobEvent, 'id' | 'at'>;

/**
 * The events of one transaction: each is checked against the state machine and written to
 * `job_events` inside the transaction; metrics and logs follow only once it has committed
 * (`flush`), so a rolled-back transition is neither counted nor logged.
 */
export class EventLog {
  readonly #tx: Db;
  readonly #recorded: Recorded[] = [];

  constructor(tx: Db) {
    this.#tx = tx;
  }

  /** Records `from -> to`; throws `JOB_TRANSITION_INVALID` when the state machine has no such edge. */
  async transition(
    job: JobRef,
    from: JobState | undefined,
    to: JobState,
    options: StepOptions,
  ): Promise<void> {
    if (!canTransition(from, to)) throw invalidTransition(job.id, from, to);
    await this.#write({ kind: 'transition', fromState: from ?? null, toState: to }, job, options);
  }

  /** Records a settle to `to` that the attempt fence refused. */
  async conflict(job: JobRef, to: JobState, options: StepOptions): Promise<void> {
    await this.#write({ kind: 'conflict', fromState: 'active', toState: to }, job, options);
  }

  async #write(
    shape: Pick<Recorded, 'kind' | 'fromState' | 'toState'>,
    job: JobRef,
    options: StepOptions,
  ): Promise<void> {
    const event: Recorded = {
      ...shape,
      jobId: job.id,
      queue: job.queue,
      attempt: options.attempt,
      reason: options.reason ?? null,
      correlationId: job.correlationId,
      workerId: options.workerId ?? null,
      detail: options.detail ?? null,
    };
    await insertJobEvent(this.#tx, event);
    this.#recorded.push(event);
  }

  /** Counts and logs what was recorded; call after the transaction committed. */
  flush(logger: Logger | undefined): void {
    for (const e of this.#recorded) {
      if (e.kind === 'conflict') countConflict(e.queue);
      else countTransition(e.queue, e.fromState, e.toState, e.reason);
      const fields = {
        correlation_id: e.correlationId,
        job_id: e.jobId,
        queue: e.queue,
        attempt: e.attempt,
        from: e.fromState,
        to: e.toState,
        reason: e.reason ?? undefined,
        worker_id: e.workerId ?? undefined,
        detail: e.detail ?? undefined,
      };
      if (e.kind === 'conflict')
        logger?.warn(fields, 'job settle refused: the attempt no longer holds the job');
      else logger?.info(fields, `job ${e.fromState ?? 'new'} -> ${e.toState}`);
    }
  }
}

/** Runs `fn` in a transaction with an event log, and flushes the log once it committed. */
export async function inTransaction<T>(
  db: Db,
  logger: Logger | undefined,
  fn: (tx: Db, events: EventLog) => Promise<T>,
): Promise<T> {
  let log: EventLog | undefined;
  const result = await db.transaction(async (tx) => {
    log = new EventLog(tx);
    return fn(tx, log);
  });
  log?.flush(logger);
  return result;
}
