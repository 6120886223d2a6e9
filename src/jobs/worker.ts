import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { type Envelope, errorMessage, type Logger } from '../core/index.ts';
import type { JobDefinition, Jobs } from './jobs.ts';

/** What a handler gets beside the envelope. */
export interface JobContext {
  readonly jobId: string;
  /** 1-based attempt of this run. */
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly workerId: string;
  /** The process logger bound to the job's correlation id and job id. */
  readonly logger: Logger | undefined;
  /**
   * Aborted (with a `TimeoutError`) when the lease runs out: from then on another worker may take
   * the job and this run's settle would be refused, so a long handler should stop. Throwing the
   * signal's reason fails the attempt as `TIMEOUT` (retried while attempts remain).
   */
  readonly signal: AbortSignal;
}

/**
 * Runs one job. Resolving completes it; throwing fails the attempt (`JobFailure` names a DLQ
 * reason; see `classifyFailure`). The handler must be idempotent: a job whose lease ran out is run
 * again by another worker, and only one of the two runs may complete it.
 */
export type JobHandler<P> = (envelope: Envelope<P>, context: JobContext) => Promise<void>;

export interface WorkerOptions {
  /** Jobs run at once by this worker (default 1). */
  readonly concurrency?: number | undefined;
  /** Wait after an empty claim (default 500 ms). */
  readonly pollIntervalMs?: number | undefined;
  /** How often the worker takes back lapsed leases (default 10 s). */
  readonly sweepIntervalMs?: number | undefined;
  /** Names this worker in `job_events` (default host:pid:random). */
  readonly workerId?: string | undefined;
}

const DEFAULT_POLL_INTERVAL_MS = 500;
const DEFAULT_SWEEP_INTERVAL_MS = 10_000;
// After an error in the loop itself (the database away), wait this long, doubling to the cap.
const ERROR_BACKOFF_MS = 250;
const ERROR_BACKOFF_MAX_MS = 10_000;

/** A claim loop on one job type; built by `Jobs.work`. */
export class Worker<P> {
  readonly id: string;
  readonly #jobs: Jobs;
  readonly #definition: JobDefinition<P>;
  readonly #handler: JobHandler<P>;
  readonly #options: WorkerOptions;
  readonly #logger: Logger | undefined;
  readonly #stop = new AbortController();
  #loops: Promise<void>[] = [];
  // Idle claim loops waiting for their next poll; a wake-up (a job enqueued) ends the wait.
  readonly #idle = new Set<() => void>();
  #unlisten: Promise<(() => Promise<void>) | undefined> = Promise.resolve(undefined);

  constructor(
    jobs: Jobs,
    definition: JobDefinition<P>,
    handler: JobHandler<P>,
    options: WorkerOptions,
    logger: Logger | undefined,
  ) {
    this.#jobs = jobs;
    this.#definition = definition;
    this.#handler = handler;
    this.#options = options;
    this.#logger = logger;
    this.id = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  /** Starts the claim loops and the lease sweep. */
  start(): void {
    const concurrency = Math.max(1, this.#options.concurrency ?? 1);
    for (let i = 0; i < concurrency; i++) this.#loops.push(this.#claimLoop());
    this.#loops.push(this.#sweepLoop());
    this.#unlisten = this.#jobs
      .onWake(this.#definition.messageType.type, () => {
        for (const wake of [...this.#idle]) wake();
      })
      .catch((error) => {
        this.#logger?.warn(
          { err: errorMessage(error), worker_id: this.id },
          'job wake-ups unavailable; polling only',
        );
        return undefined;
      });
  }

  /** Stops claiming; resolves when the handlers running now have finished and settled. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.all(this.#loops);
    this.#loops = [];
    await (await this.#unlisten)?.().catch(() => undefined);
  }

  async #claimLoop(): Promise<void> {
    const poll = this.#options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    let backoff = ERROR_BACKOFF_MS;
    while (!this.#stop.signal.aborted) {
      try {
        const ran = await this.#jobs.runOne(this.#definition, this.#handler, this.id);
        backoff = ERROR_BACKOFF_MS;
        if (!ran) await this.#sleep(poll, true);
      } catch (error) {
        this.#logger?.error(
          { err: errorMessage(error), queue: this.#definition.messageType.type, worker_id: this.id },
          'job worker loop failed; backing off',
        );
        await this.#sleep(backoff);
        backoff = Math.min(backoff * 2, ERROR_BACKOFF_MAX_MS);
      }
    }
  }

  async #sweepLoop(): Promise<void> {
    const interval = this.#options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    while (!this.#stop.signal.aborted) {
      await this.#sleep(interval);
      if (this.#stop.signal.aborted) return;
      try {
        await this.#jobs.sweepLapsed(this.#definition as JobDefinition<unknown>);
      } catch (error) {
        this.#logger?.error({ err: errorMessage(error), worker_id: this.id }, 'job lease sweep failed');
      }
    }
  }

  #sleep(ms: number, wakeable = false): Promise<void> {
    const signal = this.#stop.signal;
    if (signal.aborted) return Promise.resolve();
    const idle = this.#idle;
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        idle.delete(done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
      if (wakeable) idle.add(done);
    });
  }
}
