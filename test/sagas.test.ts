// Sagas on both databases: steps chained as jobs with one correlation id, a dead step compensated
// in reverse order (each compensation a job with its own retries), and a compensation that
// exhausts its attempts dead-lettered as COMPENSATION_FAILED with the saga marked so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createJobs,
  createSagas,
  defineSaga,
  JobFailure,
  type Jobs,
  type SagaDefinition,
  type SagaHandlers,
  type SagaRecord,
  type Sagas,
  type Worker,
} from '../src/jobs/index.ts';
import { ADAPTERS, createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { waitFor } from './helpers/wait.ts';

const input = z.strictObject({ n: z.number().int() });
type Input = z.infer<typeof input>;
const fast = { retryDelaySeconds: 1, retryDelayMaxSeconds: 1, leaseSeconds: 30 };

function threeSteps(name: string): SagaDefinition<Input> {
  return defineSaga({
    name,
    target: 'worker.test',
    input,
    steps: [
      { name: 'a', policy: fast, compensation: { ...fast, maxAttempts: 2 } },
      { name: 'b', policy: fast, compensation: { ...fast, maxAttempts: 2 } },
      { name: 'c', policy: { ...fast, maxAttempts: 2 } },
    ],
  });
}

describe.each(ADAPTERS)('sagas (%s)', (adapter) => {
  let t: TestDatabase;
  let jobs: Jobs;
  let sagas: Sagas;
  const workers: Worker<unknown>[] = [];

  beforeAll(async () => {
    t = await createMigratedDatabase(adapter, 'sagas');
    jobs = await createJobs({ db: t.db, leaseCheckIntervalSeconds: 1 });
    sagas = createSagas({ db: t.db, jobs });
  });
  afterAll(async () => {
    await jobs?.stop();
    await t?.dispose();
  });

  async function run(saga: SagaDefinition<Input>, handlers: SagaHandlers<Input>, n: number) {
    await sagas.register(saga);
    workers.push(...(sagas.work(saga, handlers, { pollIntervalMs: 50 }) as Worker<unknown>[]));
    const started = await sagas.start(saga, {
      input: { n },
      idempotencyKey: `req-${n}`,
      source: 'test',
      correlationId: `corr-${n}`,
    });
    expect(started.created).toBe(true);
    const again = await sagas.start(saga, { input: { n }, idempotencyKey: `req-${n}`, source: 'test' });
    expect(again).toEqual({ sagaId: started.sagaId, created: false });
    return started.sagaId;
  }

  const finished = (sagaId: string, states: readonly string[]) =>
    waitFor(`saga ${sagaId} to finish`, async () => {
      const s = await sagas.get(sagaId);
      return s && states.includes(s.state) ? s : undefined;
    });

  async function jobsOf(sagaId: string) {
    const { rows } = await t.db.query<{
      queue: string;
      state: string;
      reason: string | null;
      attempt: number;
      correlation_id: string;
      causation_id: string | null;
      id: string;
    }>(
      `select queue, state, reason, attempt, correlation_id, envelope->>'causation_id' as causation_id, id
         from cogo_jobs where envelope->'payload'->>'sagaId' = $1 order by created_at`,
      [sagaId],
    );
    return rows;
  }

  it('runs the steps in order as jobs, passing outputs on, with one correlation id and each caused by the last', async () => {
    const saga = threeSteps('happy');
    const seen: string[] = [];
    const sagaId = await run(
      saga,
      {
        steps: {
          a: async ({ input: i }) => {
            seen.push('a');
            return { doubled: i.n * 2 };
          },
          b: async ({ outputs }) => {
            seen.push('b');
            return { plusOne: (outputs.a as { doubled: number }).doubled + 1 };
          },
          c: async ({ outputs }) => {
            seen.push(`c:${(outputs.b as { plusOne: number }).plusOne}`);
          },
        },
        compensations: { a: async () => undefined, b: async () => undefined },
      },
      5,
    );
    const done: SagaRecord = await finished(sagaId, ['succeeded']);
    expect(seen).toEqual(['a', 'b', 'c:11']);
    expect(done).toMatchObject({ state: 'succeeded', currentStep: null, failedStep: null });
    expect(done.outputs).toEqual({ a: { doubled: 10 }, b: { plusOne: 11 }, c: null });
    const rows = await jobsOf(sagaId);
    expect(rows.map((r) => `${r.queue}:${r.state}`)).toEqual([
      'happy.a:succeeded',
      'happy.b:succeeded',
      'happy.c:succeeded',
    ]);
    expect(new Set(rows.map((r) => r.correlation_id))).toEqual(new Set(['corr-5']));
    expect(rows.map((r) => r.causation_id)).toEqual([null, rows[0]!.id, rows[1]!.id]);
  });

  it('compensates the completed steps in reverse order when a step goes dead', async () => {
    const saga = threeSteps('undo');
    const seen: string[] = [];
    let cAttempts = 0;
    const sagaId = await run(
      saga,
      {
        steps: {
          a: async () => void seen.push('a'),
          b: async () => void seen.push('b'),
          c: async () => {
            cAttempts++;
            throw new Error('c cannot run');
          },
        },
        compensations: {
          a: async () => void seen.push('undo a'),
          // Fails once: a compensation is retried like any job.
          b: async ({ job }) => {
            if (job.attempt === 1) throw new Error('flaky undo');
            seen.push('undo b');
          },
        },
      },
      6,
    );
    const done = await finished(sagaId, ['compensated', 'compensation_failed']);
    expect(done).toMatchObject({ state: 'compensated', failedStep: 'c', compensated: ['b', 'a'] });
    expect(done.error).toContain('c cannot run');
    expect(cAttempts).toBe(2);
    expect(seen).toEqual(['a', 'b', 'undo b', 'undo a']);
    const rows = await jobsOf(sagaId);
    expect(rows.map((r) => `${r.queue}:${r.state}:${r.reason ?? ''}:${r.attempt}`)).toEqual([
      'undo.a:succeeded::1',
      'undo.b:succeeded::1',
      'undo.c:dead:MAX_ATTEMPTS:2',
      'undo.b.compensate:succeeded::2',
      'undo.a.compensate:succeeded::1',
    ]);
    expect(new Set(rows.map((r) => r.correlation_id))).toEqual(new Set(['corr-6']));
  });

  it('dead-letters a compensation that exhausts its attempts as COMPENSATION_FAILED, and a redrive resumes it', async () => {
    const saga = threeSteps('stuck');
    const seen: string[] = [];
    let undoBroken = true;
    const sagaId = await run(
      saga,
      {
        steps: {
          a: async () => undefined,
          b: async () => {
            throw new JobFailure('PARSE_ERROR', 'b cannot parse its input');
          },
          c: async () => undefined,
        },
        compensations: {
          a: async () => {
            if (undoBroken) throw new Error('the undo keeps failing');
            seen.push('undo a');
          },
          b: async () => void seen.push('undo b (must not run: b never completed)'),
        },
      },
      7,
    );
    const stuck = await finished(sagaId, ['compensated', 'compensation_failed']);
    expect(stuck).toMatchObject({
      state: 'compensation_failed',
      failedStep: 'b',
      currentStep: 'a',
      compensated: [],
    });
    expect(stuck.error).toContain('the undo keeps failing');
    const rows = await jobsOf(sagaId);
    expect(rows.map((r) => `${r.queue}:${r.state}:${r.reason ?? ''}:${r.attempt}`)).toEqual([
      'stuck.a:succeeded::1',
      'stuck.b:dead:PARSE_ERROR:1',
      'stuck.a.compensate:dead:COMPENSATION_FAILED:2',
    ]);

    undoBroken = false;
    expect(await jobs.redrive({ reason: 'COMPENSATION_FAILED', queue: 'stuck.a.compensate' })).toHaveLength(
      1,
    );
    const resumed = await finished(sagaId, ['compensated']);
    expect(resumed).toMatchObject({ state: 'compensated', compensated: ['a'] });
    expect(seen).toEqual(['undo a']);
  });

  it('ends compensated with nothing to undo when the first step goes dead', async () => {
    const saga = threeSteps('first');
    const sagaId = await run(
      saga,
      {
        steps: {
          a: async () => {
            throw new JobFailure('INVALID_INPUT', 'a rejects its input');
          },
          b: async () => undefined,
          c: async () => undefined,
        },
        compensations: { a: async () => undefined, b: async () => undefined },
      },
      9,
    );
    const done = await finished(sagaId, ['compensated', 'compensation_failed']);
    expect(done).toMatchObject({ state: 'compensated', failedStep: 'a', currentStep: null, compensated: [] });
    expect((await jobsOf(sagaId)).map((r) => `${r.queue}:${r.state}:${r.reason}`)).toEqual([
      'first.a:dead:INVALID_INPUT',
    ]);
  });

  it('repairs a saga whose next step was never enqueued (a crash between two writes) on sweep', async () => {
    const saga = threeSteps('repair');
    await sagas.register(saga);
    const { sagaId } = await sagas.start(saga, { input: { n: 8 }, idempotencyKey: 'req-8', source: 'test' });
    // As if the worker of step a died after recording its output and before enqueuing b.
    await t.db.query(
      `update cogo_sagas set outputs = '{"a": 1}', current_step = 'b', updated_at = now() - interval '1 hour' where id = $1`,
      [sagaId],
    );
    expect(await sagas.sweep(saga, { idleSeconds: 60 })).toBe(1);
    expect(await sagas.sweep(saga, { idleSeconds: 60 })).toBe(0);
    const rows = await jobsOf(sagaId);
    expect(rows.map((r) => `${r.queue}:${r.state}`)).toEqual(['repair.a:queued', 'repair.b:queued']);
  });
});
