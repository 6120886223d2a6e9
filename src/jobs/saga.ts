import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { defineMessageType, type Envelope, errorMessage, type Logger } from '../core/index.ts';
import type { Db } from '../db/index.ts';
import { classifyFailure, JobFailure } from './errors.ts';
import { defineJob, type JobDefinition, type Jobs } from './jobs.ts';
import type { QueuePolicy } from './queue.ts';
import * as store from './saga-store.ts';
import { type JobRecord, selectJobByKey } from './store.ts';
import type { JobContext, Worker, WorkerOptions } from './worker.ts';

/** The payload of every step and compensation job of a saga: the saga's id and its input. */
export interface SagaStepPayload<I> {
  readonly sagaId: string;
  readonly input: I;
}

/** One step as declared: its name, its job policy, and, if it has one, its compensation's policy. */
export interface SagaStepOptions {
  readonly name: string;
  readonly policy?: Partial<QueuePolicy>;
  /** Declares a compensation job (`<saga>.<step>.compensate`) with this policy. */
  readonly compensation?: Partial<QueuePolicy>;
}

/** A step of a defined saga: the job type that runs it and the one that undoes it. */
export interface SagaStep<I> {
  readonly name: string;
  readonly job: JobDefinition<SagaStepPayload<I>>;
  readonly compensation: JobDefinition<SagaStepPayload<I>> | undefined;
}

/** A saga: a name, the schema of its input, and its steps in order. */
export interface SagaDefinition<I> {
  readonly name: string;
  /** The role whose workers run the steps (`worker.index`): the envelopes' target. */
  readonly target: string;
  readonly input: z.ZodType<I>;
  readonly steps: readonly SagaStep<I>[];
}

/**
 * Declares a saga. Step `s` of saga `n` is the job type `n.s`; its compensation, if declared,
 * `n.s.compensate`. Declared once, beside the handlers; producers and workers import the same one.
 *
 * @example
 * const indexSaga = defineSaga({
 *   name: 'index', target: 'worker.index', input: z.strictObject({ root: z.string() }),
 *   steps: [{ name: 'extract', compensation: {} }, { name: 'embed' }, { name: 'finalize' }],
 * });
 */
export function defineSaga<I>(options: {
  readonly name: string;
  readonly target: string;
  readonly input: z.ZodType<I>;
  readonly steps: readonly SagaStepOptions[];
}): SagaDefinition<I> {
  if (options.steps.length === 0) throw new Error(`saga ${options.name} has no steps`);
  const payload = z.strictObject({ sagaId: z.uuid(), input: options.input }) as z.ZodType<SagaStepPayload<I>>;
  const job = (type: string, policy: Partial<QueuePolicy>) =>
    defineJob(defineMessageType({ type, payload }), policy);
  const steps = options.steps.map((s) => ({
    name: s.name,
    job: job(`${options.name}.${s.name}`, s.policy ?? {}),
    compensation: s.compensation ? job(`${options.name}.${s.name}.compensate`, s.compensation) : undefined,
  }));
  return { name: options.name, target: options.target, input: options.input, steps };
}

/** The same saga with `policy` laid over every step's and compensation's (a configured lease, say). */
export function withSagaPolicy<I>(saga: SagaDefinition<I>, policy: Partial<QueuePolicy>): SagaDefinition<I> {
  const over = <P>(d: JobDefinition<P>): JobDefinition<P> => ({ ...d, policy: { ...d.policy, ...policy } });
  return {
    ...saga,
    steps: saga.steps.map((s) => ({
      ...s,
      job: over(s.job),
      compensation: s.compensation && over(s.compensation),
    })),
  };
}

/** What a step or compensation handler gets. */
export interface SagaStepContext<I> {
  readonly sagaId: string;
  readonly input: I;
  /** What the completed steps returned, by step name. */
  readonly outputs: Readonly<Record<string, unknown>>;
  readonly envelope: Envelope<SagaStepPayload<I>>;
  readonly job: JobContext;
}

/**
 * Runs a step (or undoes one). Its resolved value (JSON) is stored as the step's output; throwing
 * fails the attempt like any job handler. It must be idempotent: a lapsed lease runs it again.
 */
export type SagaStepHandler<I> = (context: SagaStepContext<I>) => Promise<unknown>;

/** A handler for every step, and one for every declared compensation. */
export interface SagaHandlers<I> {
  readonly steps: Readonly<Record<string, SagaStepHandler<I>>>;
  readonly compensations?: Readonly<Record<string, SagaStepHandler<I>>>;
}

/** What `start` did: the saga's id, and whether this call created it (false: the key existed). */
export interface SagaStartResult {
  readonly sagaId: string;
  readonly created: boolean;
}

export interface SagaStartOptions<I> {
  readonly input: I;
  /** What makes two starts the same saga (a retried request): the second returns the first's id. */
  readonly idempotencyKey: string;
  /** Who starts it (`orchestrator`): the first step's envelope source. */
  readonly source: string;
  readonly correlationId?: string | undefined;
  readonly cause?: Pick<Envelope<unknown>, 'id' | 'correlation_id'> | undefined;
}

export type { SagaRecord, SagaState } from './saga-store.ts';
export { SAGA_STATES } from './saga-store.ts';

/** The idempotency key of a saga's step job, or of its compensation job. */
export const sagaStepKey = (sagaId: string, step: string, compensation = false) =>
  `saga:${sagaId}:${compensation ? 'compensate:' : ''}${step}`;

/**
 * Runs sagas on `Jobs` (docs/specs/JOB_STATE_MACHINE_V1.md, "Sagas"): each step is a job whose
 * handler enqueues the next step; a step that goes dead starts the compensations of the completed
 * steps, last first, each a job with its own retries; a compensation that exhausts its attempts is
 * dead as `COMPENSATION_FAILED`. Build it with `createSagas`.
 */
export class Sagas {
  readonly #db: Db;
  readonly #jobs: Jobs;
  readonly #logger: Logger | undefined;
  readonly #registered = new Set<SagaDefinition<unknown>>();

  constructor(db: Db, jobs: Jobs, logger: Logger | undefined) {
    this.#db = db;
    this.#jobs = jobs;
    this.#logger = logger;
  }

  /** Registers the saga's job types and its dead-step listeners; needed in producers and workers. */
  async register<I>(saga: SagaDefinition<I>): Promise<void> {
    const s = saga as SagaDefinition<unknown>;
    if (this.#registered.has(s)) return;
    for (const [index, step] of saga.steps.entries()) {
      await this.#jobs.register(step.job as JobDefinition<unknown>);
      this.#jobs.onDead(step.job as JobDefinition<unknown>, (job) => this.#stepDead(saga, index, job));
      if (!step.compensation) continue;
      await this.#jobs.register(step.compensation as JobDefinition<unknown>);
      this.#jobs.onDead(step.compensation as JobDefinition<unknown>, (job) =>
        this.#compensationDead(saga, index, job),
      );
    }
    this.#registered.add(s);
  }

  /**
   * Starts a saga: records it and enqueues its first step. A second start with the same
   * idempotency key returns the first saga (and enqueues its first step if a crash had stopped that).
   *
   * @example
   * const { sagaId } = await sagas.start(indexSaga, {
   *   input: { root, full: false, requestId }, idempotencyKey: `index:${requestId}`, source: 'orchestrator',
   * });
   */
  async start<I>(saga: SagaDefinition<I>, options: SagaStartOptions<I>): Promise<SagaStartResult> {
    const input = saga.input.parse(options.input);
    const first = saga.steps[0]!;
    const id = randomUUID();
    const correlationId = options.cause?.correlation_id ?? options.correlationId ?? id;
    const created = await store.insertSaga(this.#db, {
      id,
      name: saga.name,
      idempotencyKey: options.idempotencyKey,
      correlationId,
      step: first.name,
      input,
    });
    const record = created
      ? undefined
      : await store.selectSagaByKey(this.#db, saga.name, options.idempotencyKey);
    const sagaId = record?.id ?? id;
    if (created || (record?.state === 'running' && record.currentStep === first.name))
      await this.#jobs.enqueue(first.job, {
        source: options.source,
        target: saga.target,
        payload: { sagaId, input: (record?.input as I | undefined) ?? input },
        idempotencyKey: sagaStepKey(sagaId, first.name),
        cause: options.cause,
        correlationId: record?.correlationId ?? correlationId,
      });
    if (created)
      this.#logger?.info({ saga: saga.name, saga_id: sagaId, correlation_id: correlationId }, 'saga started');
    return { sagaId, created };
  }

  /** Starts workers for every step and compensation of `saga` (one `Worker` per job type). */
  work<I>(
    saga: SagaDefinition<I>,
    handlers: SagaHandlers<I>,
    options: WorkerOptions = {},
  ): Worker<SagaStepPayload<I>>[] {
    const workers: Worker<SagaStepPayload<I>>[] = [];
    for (const [index, step] of saga.steps.entries()) {
      const run = handlers.steps[step.name];
      if (!run) throw new Error(`saga ${saga.name}: no handler for step ${step.name}`);
      workers.push(
        this.#jobs.work(step.job, (envelope, job) => this.#runStep(saga, index, run, envelope, job), options),
      );
      if (!step.compensation) continue;
      const undo = handlers.compensations?.[step.name];
      if (!undo) throw new Error(`saga ${saga.name}: no handler for the compensation of ${step.name}`);
      workers.push(
        this.#jobs.work(
          step.compensation,
          (envelope, job) => this.#runCompensation(saga, index, undo, envelope, job),
          options,
        ),
      );
    }
    return workers;
  }

  /** The saga's current record, or undefined. */
  get(sagaId: string): Promise<store.SagaRecord | undefined> {
    return store.selectSaga(this.#db, sagaId);
  }

  /**
   * Repairs sagas that stopped moving because a process died between two writes: a step or
   * compensation whose job was never enqueued is enqueued; one whose job went dead without its
   * listener running is handled now. Returns how many sagas it repaired. The orchestrator runs it.
   */
  async sweep<I>(
    saga: SagaDefinition<I>,
    options: { idleSeconds?: number; limit?: number } = {},
  ): Promise<number> {
    let repaired = 0;
    for (const record of await store.selectIdleSagas(
      this.#db,
      saga.name,
      options.idleSeconds ?? 60,
      options.limit ?? 100,
    )) {
      const index = saga.steps.findIndex((s) => s.name === record.currentStep);
      const step = saga.steps[index];
      if (!step) continue;
      const compensating = record.state === 'compensating';
      const definition = compensating ? step.compensation : step.job;
      if (!definition) continue;
      const key = sagaStepKey(record.id, step.name, compensating);
      const job = await selectJobByKey(this.#db, definition.messageType.type, key);
      if (!job) {
        await this.#enqueue(saga, definition, record, key, undefined, 'orchestrator');
        repaired++;
      } else if (job.state === 'dead') {
        if (compensating) await this.#compensationDead(saga, index, job);
        else await this.#stepDead(saga, index, job);
        repaired++;
      }
    }
    return repaired;
  }

  async #runStep<I>(
    saga: SagaDefinition<I>,
    index: number,
    run: SagaStepHandler<I>,
    envelope: Envelope<SagaStepPayload<I>>,
    job: JobContext,
  ): Promise<void> {
    const step = saga.steps[index]!;
    const next = saga.steps[index + 1];
    const { sagaId } = envelope.payload;
    let record = await this.#load(sagaId);
    if (!(step.name in record.outputs)) {
      if (record.state !== 'running' || record.currentStep !== step.name)
        return this.#stale(record, step.name, job);
      const output = await run({
        sagaId,
        input: envelope.payload.input,
        outputs: record.outputs,
        envelope,
        job,
      });
      await store.completeSagaStep(this.#db, sagaId, step.name, output ?? null, next?.name ?? null);
      record = await this.#load(sagaId);
    }
    const log = {
      saga: saga.name,
      saga_id: sagaId,
      correlation_id: envelope.correlation_id,
      step: step.name,
    };
    if (!next) return void this.#logger?.info(log, `saga ${record.state}`);
    if (record.state === 'running' && record.currentStep === next.name)
      await this.#enqueue(saga, next.job, record, sagaStepKey(sagaId, next.name), envelope, saga.target);
  }

  async #runCompensation<I>(
    saga: SagaDefinition<I>,
    index: number,
    undo: SagaStepHandler<I>,
    envelope: Envelope<SagaStepPayload<I>>,
    job: JobContext,
  ): Promise<void> {
    const step = saga.steps[index]!;
    const { sagaId } = envelope.payload;
    let record = await this.#load(sagaId);
    const next = this.#compensations(saga, record, index)[0];
    if (!record.compensated.includes(step.name)) {
      const undoing = record.state === 'compensating' || record.state === 'compensation_failed';
      if (!undoing || record.currentStep !== step.name) return this.#stale(record, step.name, job);
      try {
        await undo({ sagaId, input: envelope.payload.input, outputs: record.outputs, envelope, job });
      } catch (error) {
        const { retryable } = classifyFailure(error);
        throw new JobFailure('COMPENSATION_FAILED', `compensation of ${step.name}: ${errorMessage(error)}`, {
          cause: error,
          isRetryable: retryable,
        });
      }
      await store.completeCompensation(this.#db, sagaId, step.name, next?.name ?? null);
      record = await this.#load(sagaId);
    }
    if (!next) return void this.#logger?.info({ saga: saga.name, saga_id: sagaId }, `saga ${record.state}`);
    if (record.state === 'compensating' && record.currentStep === next.name)
      await this.#enqueue(
        saga,
        next.compensation!,
        record,
        sagaStepKey(sagaId, next.name, true),
        envelope,
        saga.target,
      );
  }

  /** Step `index` went dead: start undoing the completed steps before it, last first. */
  async #stepDead<I>(saga: SagaDefinition<I>, index: number, job: JobRecord): Promise<void> {
    const step = saga.steps[index]!;
    const record = await this.#load((job.envelope.payload as { sagaId: string }).sagaId);
    const first = this.#compensations(saga, record, index)[0];
    if (
      !(await store.failSagaStep(
        this.#db,
        record.id,
        step.name,
        job.lastError ?? job.reason,
        first?.name ?? null,
      ))
    )
      return;
    this.#logger?.warn(
      {
        saga: saga.name,
        saga_id: record.id,
        correlation_id: record.correlationId,
        step: step.name,
        reason: job.reason,
      },
      first ? 'saga step dead; compensating' : 'saga step dead; nothing to compensate',
    );
    if (first)
      await this.#enqueue(
        saga,
        first.compensation!,
        record,
        sagaStepKey(record.id, first.name, true),
        job.envelope,
        saga.target,
      );
  }

  async #compensationDead<I>(saga: SagaDefinition<I>, index: number, job: JobRecord): Promise<void> {
    const step = saga.steps[index]!;
    const sagaId = (job.envelope.payload as { sagaId: string }).sagaId;
    if (await store.failCompensation(this.#db, sagaId, step.name, job.lastError ?? job.reason))
      this.#logger?.error(
        {
          saga: saga.name,
          saga_id: sagaId,
          correlation_id: job.correlationId,
          step: step.name,
          reason: job.reason,
        },
        'saga compensation dead',
      );
  }

  /** The compensations still to run when undoing from before step `index`: completed steps with one, last first. */
  #compensations<I>(saga: SagaDefinition<I>, record: store.SagaRecord, index: number): SagaStep<I>[] {
    return saga.steps
      .slice(0, index)
      .filter((s) => s.compensation && s.name in record.outputs && !record.compensated.includes(s.name))
      .reverse();
  }

  async #enqueue<I>(
    saga: SagaDefinition<I>,
    definition: JobDefinition<SagaStepPayload<I>>,
    record: store.SagaRecord,
    idempotencyKey: string,
    cause: Envelope<unknown> | undefined,
    source: string,
  ): Promise<void> {
    await this.#jobs.enqueue(definition, {
      source,
      target: saga.target,
      payload: { sagaId: record.id, input: record.input as I },
      idempotencyKey,
      cause,
      correlationId: record.correlationId,
    });
  }

  async #load(sagaId: string): Promise<store.SagaRecord> {
    const record = await store.selectSaga(this.#db, sagaId);
    if (!record) throw new JobFailure('INVALID_INPUT', `no saga ${sagaId}`);
    return record;
  }

  #stale(record: store.SagaRecord, step: string, job: JobContext): void {
    job.logger?.warn(
      { saga_id: record.id, step, saga_state: record.state, current_step: record.currentStep },
      'saga moved on without this step; nothing to do',
    );
  }
}

/** The saga runner of this process, on its `Jobs`. */
export function createSagas(options: {
  readonly db: Db;
  readonly jobs: Jobs;
  readonly logger?: Logger | undefined;
}): Sagas {
  return new Sagas(options.db, options.jobs, options.logger);
}
