import { randomUUID } from 'node:crypto';
import {
  type CreateEnvelopeOptions,
  createEnvelope,
  type Envelope,
  EnvelopeRegistry,
  errorMessage,
  type Logger,
  type MessageType,
} from '../core/index.ts';
import type { Db } from '../db/index.ts';
import { classifyFailure, JobError } from './errors.ts';
import type { AttemptRef, ClaimedJob, Queue, QueuePolicy } from './queue.ts';
import { DLQ_REASONS, type DlqReason } from './states.ts';
import {
  countJobEvents,
  insertJob,
  type JobCounts,
  type JobEvent,
  type JobRecord,
  selectDeadJobs,
  selectJob,
  selectJobByKey,
  selectJobByQueueJobId,
  selectJobEvents,
  selectLapsedJobs,
  updateJob,
} from './store.ts';
import { type EventLog, inTransaction, type JobRef } from './transitions.ts';
import { type JobHandler, Worker, type WorkerOptions } from './worker.ts';

/** Defaults for a job type: 3 attempts, 2 s then 4 s (with jitter) between them, 15-minute leases. */
export const DEFAULT_QUEUE_POLICY: QueuePolicy = {
  maxAttempts: 3,
  retryDelaySeconds: 2,
  retryDelayMaxSeconds: 300,
  leaseSeconds: 900,
};

/** A job type: the message type of its envelope (whose name is the queue's) and how it is run. */
export interface JobDefinition<P> {
  readonly messageType: MessageType<P>;
  readonly policy: QueuePolicy;
}

/** The NOTIFY channel that wakes a queue's workers: `cogo_jobs_` and the queue name in [a-z0-9_]. */
export function wakeChannel(queue: string): string {
  return `cogo_jobs_${queue.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
}

/** Declares a job type for a message type, with policy overrides. */
export function defineJob<P>(
  messageType: MessageType<P>,
  policy: Partial<QueuePolicy> = {},
): JobDefinition<P> {
  return { messageType, policy: { ...DEFAULT_QUEUE_POLICY, ...policy } };
}

/** What an enqueue did: the job's id, and whether this call created it (false: the key existed). */
export interface EnqueueResult {
  readonly jobId: string;
  readonly created: boolean;
}

/** Which dead jobs `redrive` sends back; every filter is optional. */
export interface RedriveOptions {
  /** Only dead jobs with this reason. */
  readonly reason?: DlqReason | undefined;
  /** Only dead jobs of this queue (message type). */
  readonly queue?: string | undefined;
  /** At most this many, oldest first (default 1000). */
  readonly limit?: number | undefined;
}

/**
 * Told after a job of its type went dead (the transaction committed): sagas start their
 * compensations here. It runs in the process that recorded the transition; an error is logged.
 */
export type DeadListener = (job: JobRecord) => Promise<void>;

/** A claimed job as the worker runs it. */
interface Claim {
  readonly job: JobRecord;
  readonly engine: ClaimedJob;
  readonly envelope: Envelope<unknown> | undefined;
  readonly invalid: unknown;
}

/**
 * Jobs on a `Queue` engine, with cogo's state machine (docs/specs/JOB_STATE_MACHINE_V1.md) in
 * `cogo_jobs` and `job_events`. One per process; build it with `createJobs`.
 */
export class Jobs {
  readonly #db: Db;
  readonly #queue: Queue;
  readonly #logger: Logger | undefined;
  readonly #registry = new EnvelopeRegistry();
  readonly #definitions = new Map<string, JobDefinition<unknown>>();
  readonly #workers = new Set<Worker<unknown>>();
  readonly #deadListeners = new Map<string, DeadListener[]>();

  constructor(db: Db, queue: Queue, logger: Logger | undefined) {
    this.#db = db;
    this.#queue = queue;
    this.#logger = logger;
  }

  /** Registers a job type (creating its queue); needed before enqueuing or working on it. Idempotent. */
  async register(definition: JobDefinition<unknown>): Promise<void> {
    const name = definition.messageType.type;
    if (this.#definitions.get(name) === definition) return;
    if (this.#definitions.has(name)) throw new Error(`job type ${name} is already registered`);
    await this.#queue.ensureQueue(name, definition.policy);
    this.#registry.register(definition.messageType);
    this.#definitions.set(name, definition);
  }

  /**
   * Calls `listener` after each job of `definition` goes dead in this process (a last failed attempt,
   * or a last lease recorded as lapsed by `sweepLapsed`). A process that dies between the commit and
   * the call never calls it: whoever relies on it also sweeps for dead jobs it missed.
   */
  onDead(definition: JobDefinition<unknown>, listener: DeadListener): void {
    const name = this.#known(definition).messageType.type;
    this.#deadListeners.set(name, [...(this.#deadListeners.get(name) ?? []), listener]);
  }

  async #notifyDead(jobId: string): Promise<void> {
    const job = await selectJob(this.#db, jobId);
    if (!job) return;
    for (const listener of this.#deadListeners.get(job.queue) ?? []) {
      try {
        await listener(job);
      } catch (error) {
        this.#logger?.error(
          { err: errorMessage(error), job_id: job.id, correlation_id: job.correlationId, queue: job.queue },
          'dead-job listener failed',
        );
      }
    }
  }

  /**
   * Enqueues a job: builds and validates its envelope, and creates it unless a job with the same
   * idempotency key exists in its queue, in which case that job's id is returned.
   *
   * @example
   * const { jobId } = await jobs.enqueue(indexProjectJob, {
   *   source: 'orchestrator', target: 'worker.index',
   *   payload: { root, project }, idempotencyKey: `index:${project}:${inputsHash}`,
   * });
   */
  async enqueue<P>(definition: JobDefinition<P>, options: CreateEnvelopeOptions<P>): Promise<EnqueueResult> {
    const name = this.#known(definition).messageType.type;
    const envelope = createEnvelope(definition.messageType, options) as Envelope<unknown>;
    const existing = await selectJobByKey(this.#db, name, envelope.idempotency_key);
    if (existing) return { jobId: existing.id, created: false };
    const result = await inTransaction(this.#db, this.#logger, async (tx, events) => {
      const queueJobId = randomUUID();
      const job = {
        id: envelope.id,
        queue: name,
        queueJobId,
        maxAttempts: definition.policy.maxAttempts,
        envelope,
      };
      if (!(await insertJob(tx, job))) {
        const winner = await selectJobByKey(tx, name, envelope.idempotency_key);
        return { jobId: winner?.id ?? envelope.id, created: false };
      }
      await this.#queue.send(tx, name, { queueJobId, data: envelope });
      await events.transition(
        this.#ref({ id: job.id, queue: name, correlationId: envelope.correlation_id }),
        undefined,
        'queued',
        { attempt: 0 },
      );
      return { jobId: envelope.id, created: true };
    });
    // Wake idle workers of this queue now instead of at their next poll; best effort (they poll).
    if (result.created)
      await this.#db
        .query('select pg_notify($1, $2)', [wakeChannel(name), result.jobId])
        .catch(() => undefined);
    return result;
  }

  /**
   * Calls `onWake` when a job of the queue is enqueued by any process (NOTIFY on its wake channel);
   * returns the unsubscribe. Workers use it to claim at once rather than at their next poll.
   */
  onWake(queue: string, onWake: () => void): Promise<() => Promise<void>> {
    return this.#db.listen(wakeChannel(queue), onWake);
  }

  /**
   * Starts a worker that claims jobs of `definition` and runs `handler` on each valid envelope.
   * A handler that resolves completes the job; one that throws fails the attempt (see `JobFailure`).
   */
  work<P>(definition: JobDefinition<P>, handler: JobHandler<P>, options: WorkerOptions = {}): Worker<P> {
    this.#known(definition);
    const worker = new Worker<P>(this, definition, handler, options, this.#logger);
    this.#workers.add(worker as Worker<unknown>);
    worker.start();
    return worker;
  }

  /**
   * Claims one job of `definition` and runs `handler` on it, settling the outcome; returns false
   * when there was nothing to claim. Workers call it in a loop; tests and drains may call it directly.
   */
  async runOne<P>(definition: JobDefinition<P>, handler: JobHandler<P>, workerId: string): Promise<boolean> {
    const claim = await this.#claim(this.#known(definition).messageType.type, workerId);
    if (!claim) return false;
    const { job, engine } = claim;
    const logger = this.#logger?.child({ correlation_id: job.correlationId, job_id: job.id });
    try {
      if (!claim.envelope) throw claim.invalid;
      await handler(claim.envelope as Envelope<P>, {
        jobId: job.id,
        attempt: engine.attempt,
        maxAttempts: engine.maxAttempts,
        workerId,
        logger,
        signal: AbortSignal.timeout(engine.leaseSeconds * 1000),
      });
    } catch (error) {
      await this.#settleFailure(claim, workerId, error);
      return true;
    }
    await inTransaction(this.#db, this.#logger, async (tx, events) => {
      const ref = this.#ref(job);
      const step = { attempt: engine.attempt, workerId };
      if (!(await this.#queue.complete(tx, job.queue, this.#attempt(claim)))) {
        await events.conflict(ref, 'succeeded', { ...step, detail: 'the attempt no longer holds the job' });
        return;
      }
      await events.transition(ref, 'active', 'succeeded', step);
      await updateJob(tx, job.id, { state: 'succeeded', leaseExpiresAt: null });
    });
    return true;
  }

  async #claim(name: string, workerId: string): Promise<Claim | undefined> {
    return inTransaction(this.#db, this.#logger, async (tx, events) => {
      const engine = await this.#queue.claim(tx, name);
      if (!engine) return undefined;
      const job = await selectJobByQueueJobId(tx, engine.queueJobId);
      if (!job || job.state === 'cancelled' || job.state === 'succeeded' || job.state === 'dead') {
        // The engine's copy outlived cogo's record (a cancel raced the claim): drop it.
        await this.#queue.remove(tx, name, { queueJobId: engine.queueJobId, attempt: engine.attempt });
        return undefined;
      }
      const ref = this.#ref(job);
      let from = job.state;
      if (from === 'active') {
        // The previous attempt's lease ran out and the engine took the job back; record it now.
        await this.#recordLapse(events, ref, job.attempt, 'retrying');
        from = 'retrying';
      }
      await events.transition(ref, from, 'active', { attempt: engine.attempt, workerId });
      await updateJob(tx, job.id, {
        state: 'active',
        attempt: engine.attempt,
        maxAttempts: engine.maxAttempts,
        workerId,
        leaseExpiresAt: new Date(Date.now() + engine.leaseSeconds * 1000),
      });
      try {
        return { job, engine, envelope: this.#registry.parse(engine.data), invalid: undefined };
      } catch (invalid) {
        return { job, engine, envelope: undefined, invalid };
      }
    });
  }

  async #settleFailure(claim: Claim, workerId: string, error: unknown): Promise<void> {
    const { job, engine } = claim;
    const failure = classifyFailure(error);
    const message = errorMessage(error).slice(0, 2000);
    const retry = failure.retryable && engine.attempt < engine.maxAttempts;
    // Out of attempts, a job is dead for the reason of its last failure when it had one (so a
    // provider outage can be redriven as PROVIDER_UNAVAILABLE), else as MAX_ATTEMPTS.
    const reason: DlqReason = failure.reason;
    const dead = await inTransaction(this.#db, this.#logger, async (tx, events): Promise<boolean> => {
      const ref = this.#ref(job);
      const step = { attempt: engine.attempt, workerId };
      const failedStep = { ...step, reason: reason === 'MAX_ATTEMPTS' ? null : reason, detail: message };
      if (retry) {
        const runAfter = await this.#queue.retry(tx, job.queue, this.#attempt(claim), message);
        if (!runAfter) {
          await events.conflict(ref, 'failed', failedStep);
          return false;
        }
        await events.transition(ref, 'active', 'failed', failedStep);
        await events.transition(ref, 'failed', 'retrying', {
          ...step,
          detail: `next attempt at ${runAfter.toISOString()}`,
        });
        await updateJob(tx, job.id, { state: 'retrying', lastError: message, leaseExpiresAt: null });
        return false;
      }
      if (!(await this.#queue.remove(tx, job.queue, this.#attempt(claim)))) {
        await events.conflict(ref, 'failed', failedStep);
        return false;
      }
      await events.transition(ref, 'active', 'failed', failedStep);
      await events.transition(ref, 'failed', 'dead', { ...step, reason });
      await updateJob(tx, job.id, { state: 'dead', reason, lastError: message, leaseExpiresAt: null });
      return true;
    });
    if (dead) await this.#notifyDead(job.id);
  }

  async #recordLapse(
    events: EventLog,
    ref: JobRef,
    attempt: number,
    next: 'retrying' | 'dead',
  ): Promise<void> {
    await events.transition(ref, 'active', 'failed', { attempt, reason: 'TIMEOUT', detail: 'lease expired' });
    await events.transition(ref, 'failed', next, {
      attempt,
      reason: next === 'dead' ? 'TIMEOUT' : null,
    });
  }

  /**
   * Takes back the jobs of `definition` whose lease ran out (through the engine) and records what
   * the engine did with them: `active -> failed (TIMEOUT) -> retrying`, or `-> dead (TIMEOUT)`
   * after the last attempt. Workers call it on a timer; returns how many jobs it recorded.
   */
  async sweepLapsed(definition: JobDefinition<unknown>, limit = 100): Promise<number> {
    const name = this.#known(definition).messageType.type;
    await this.#queue.expireLapsed(name);
    let recorded = 0;
    for (const lapsed of await selectLapsedJobs(this.#db, name, limit)) {
      const engine = await this.#queue.find(name, lapsed.queueJobId);
      if (!engine || engine.attempt !== lapsed.attempt) continue;
      if (engine.state !== 'retry' && engine.state !== 'failed') continue;
      const next = engine.state === 'retry' ? 'retrying' : 'dead';
      const changed = await inTransaction(this.#db, this.#logger, async (tx, events) => {
        const job = await selectJob(tx, lapsed.id, true);
        const unchanged =
          job?.state === 'active' && job.attempt === lapsed.attempt && job.queueJobId === lapsed.queueJobId;
        if (!job || !unchanged) return 0;
        await this.#recordLapse(events, this.#ref(job), job.attempt, next);
        await updateJob(tx, job.id, {
          state: next,
          reason: next === 'dead' ? 'TIMEOUT' : null,
          lastError: 'lease expired',
          leaseExpiresAt: null,
        });
        return 1;
      });
      recorded += changed;
      if (changed === 1 && next === 'dead') await this.#notifyDead(lapsed.id);
    }
    return recorded;
  }

  /**
   * Cancels a job that has not finished: it will not run again, and a worker still running it is
   * refused when it settles (a conflict). Returns false when the job had already finished.
   */
  async cancel(jobId: string, detail?: string): Promise<boolean> {
    return inTransaction(this.#db, this.#logger, async (tx, events) => {
      const job = await selectJob(tx, jobId, true);
      if (!job) throw new JobError('JOB_NOT_FOUND', `no job ${jobId}`);
      if (job.state !== 'queued' && job.state !== 'retrying' && job.state !== 'active') return false;
      await this.#queue.cancel(tx, job.queue, job.queueJobId);
      const ref = this.#ref(job);
      await events.transition(ref, job.state, 'cancelled', {
        attempt: job.attempt,
        reason: 'CANCELLED',
        detail,
      });
      await updateJob(tx, job.id, { state: 'cancelled', reason: 'CANCELLED', leaseExpiresAt: null });
      return true;
    });
  }

  /**
   * Sends dead jobs back to their queue as new runs (attempts start again at 1), filtered by reason
   * and queue. Each job is redriven in its own transaction; returns the ids redriven.
   */
  async redrive(options: RedriveOptions = {}): Promise<string[]> {
    if (options.reason !== undefined && !DLQ_REASONS.includes(options.reason))
      throw new JobError('JOB_TYPE_UNKNOWN', `unknown DLQ reason ${options.reason}`);
    const dead = await selectDeadJobs(this.#db, { ...options, limit: options.limit ?? 1000 });
    const ids = dead.map((d) => d.id);
    const redriven: string[] = [];
    for (const id of ids) {
      const done = await inTransaction(this.#db, this.#logger, async (tx, events) => {
        const job = await selectJob(tx, id, true);
        if (job?.state !== 'dead') return false;
        const queueJobId = randomUUID();
        await this.#queue.send(tx, job.queue, { queueJobId, data: job.envelope });
        const ref = this.#ref(job);
        await events.transition(ref, 'dead', 'queued', { attempt: 0, reason: job.reason, detail: 'redrive' });
        await updateJob(tx, job.id, {
          state: 'queued',
          queueJobId,
          attempt: 0,
          reason: null,
          workerId: null,
        });
        return true;
      });
      if (done) redriven.push(id);
    }
    return redriven;
  }

  /** The job's current record, or undefined. */
  get(jobId: string): Promise<JobRecord | undefined> {
    return selectJob(this.#db, jobId);
  }

  /** The job's events, oldest first. */
  events(jobId: string): Promise<JobEvent[]> {
    return selectJobEvents(this.#db, jobId);
  }

  /** The durable counters (claims, conflicts, retries, dlq) over a window, across all processes. */
  counts(window: { from?: Date; to?: Date; queue?: string } = {}): Promise<JobCounts> {
    return countJobEvents(this.#db, window);
  }

  /** Stops every worker of this instance (letting running handlers finish), then the engine. */
  async stop(): Promise<void> {
    await Promise.all([...this.#workers].map((w) => w.stop()));
    await this.#queue.stop();
  }

  #known<P>(definition: JobDefinition<P>): JobDefinition<P> {
    if (this.#definitions.get(definition.messageType.type) !== definition)
      throw new JobError('JOB_TYPE_UNKNOWN', `job type ${definition.messageType.type} is not registered`);
    return definition;
  }

  #attempt(claim: Claim): AttemptRef {
    return { queueJobId: claim.engine.queueJobId, attempt: claim.engine.attempt };
  }

  #ref(job: Pick<JobRecord, 'id' | 'queue' | 'correlationId'>): JobRef {
    return { id: job.id, queue: job.queue, correlationId: job.correlationId };
  }
}
