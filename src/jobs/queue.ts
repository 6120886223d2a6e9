import type { Db } from '../db/index.ts';

/** How the engine runs the jobs of one queue. */
export interface QueuePolicy {
  /** Attempts before a job fails for good (1 means no retry). */
  readonly maxAttempts: number;
  /** The base of the exponential backoff: attempt n waits about `retryDelaySeconds * 2^(n-1)`, with jitter. */
  readonly retryDelaySeconds: number;
  /** The longest wait between attempts. */
  readonly retryDelayMaxSeconds: number;
  /** How long a claim holds; a job still active after that is taken back and retried (`TIMEOUT`). */
  readonly leaseSeconds: number;
}

/** One claim: the engine's job, fenced by `attempt`. */
export interface ClaimedJob {
  /** The engine's id of this run of the job (`cogo_jobs.queue_job_id`). */
  readonly queueJobId: string;
  readonly data: unknown;
  /** 1-based; a settle names it, and the engine refuses a settle from an earlier attempt. */
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly leaseSeconds: number;
}

/** A claim to settle: the engine's job and the attempt that holds it. */
export interface AttemptRef {
  readonly queueJobId: string;
  readonly attempt: number;
}

/** Where the engine has a job, in its own terms. */
export interface EngineJob {
  readonly state: 'waiting' | 'retry' | 'active' | 'completed' | 'failed' | 'cancelled';
  /** The attempt that holds or last held it. */
  readonly attempt: number;
  readonly runAfter: Date;
}

/**
 * The queue engine port: claiming, leases, retries with backoff, and the attempt fence. Every
 * method that changes a job takes the `Db` (usually a transaction handle) to run on, so the
 * engine's row and cogo's `cogo_jobs` row change in one transaction. Implemented by pg-boss
 * (`pg-boss-queue.ts`); the state machine above it never sees pg-boss.
 */
export interface Queue {
  /** Creates the queue, or updates its policy; safe to call from every process. */
  ensureQueue(name: string, policy: QueuePolicy): Promise<void>;
  /** Adds a job that can be claimed at once. */
  send(db: Db, name: string, job: { readonly queueJobId: string; readonly data: object }): Promise<void>;
  /** Claims the next runnable job, or returns undefined when there is none. */
  claim(db: Db, name: string): Promise<ClaimedJob | undefined>;
  /** Marks the attempt done; false when the attempt no longer holds the job (the fence). */
  complete(db: Db, name: string, ref: AttemptRef): Promise<boolean>;
  /**
   * Fails the attempt; the engine schedules the next one with backoff. Returns when it may run, or
   * undefined when the attempt no longer holds the job. Call only while attempts remain.
   */
  retry(db: Db, name: string, ref: AttemptRef, error: string): Promise<Date | undefined>;
  /** Removes the job for good (it goes to cogo's DLQ); false when the attempt no longer holds it. */
  remove(db: Db, name: string, ref: AttemptRef): Promise<boolean>;
  /** Cancels a waiting or active job; false when it had already finished. */
  cancel(db: Db, name: string, queueJobId: string): Promise<boolean>;
  /** The engine's view of a job, or undefined when it holds none under that id. */
  find(name: string, queueJobId: string): Promise<EngineJob | undefined>;
  /** Takes back the jobs of `name` whose lease has run out, now rather than on the engine's timer. */
  expireLapsed(name: string): Promise<void>;
  /** Stops the engine's timers and closes its connections (not the `Db`). */
  stop(): Promise<void>;
}
