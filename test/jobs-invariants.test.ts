// Chaos on both databases: three workers, handlers that fail or outlive their lease at random
// (seeded), and the invariants that must hold afterwards for every job: its events form one path
// through the state machine, it ends in exactly one terminal transition, and it succeeded at most once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineMessageType } from '../src/core/index.ts';
import {
  canTransition,
  createJobs,
  defineJob,
  type JobHandler,
  type Jobs,
  TERMINAL_STATES,
  type Worker,
} from '../src/jobs/index.ts';
import { ADAPTERS, createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';

const JOB_COUNT = 20;
const chaos = defineJob(
  defineMessageType({ type: 'test.chaos', payload: z.strictObject({ n: z.number().int() }) }),
  { maxAttempts: 3, retryDelaySeconds: 1, retryDelayMaxSeconds: 2, leaseSeconds: 1 },
);

/** A deterministic draw in [0, 1) for a job's attempt, so a failing run can be replayed. */
function draw(n: number, attempt: number): number {
  let x = (n * 2654435761 + attempt * 40503) >>> 0;
  x ^= x >>> 13;
  x = Math.imul(x, 0x5bd1e995) >>> 0;
  x ^= x >>> 15;
  return x / 2 ** 32;
}

const handler: JobHandler<{ n: number }> = async (envelope, context) => {
  const p = draw(envelope.payload.n, context.attempt);
  if (p < 0.2) throw new Error(`chaos: job ${envelope.payload.n} attempt ${context.attempt} failed`);
  // Outlives its 1 s lease, ignoring the signal: another worker takes the job, this settle is refused.
  if (p < 0.3) await new Promise((r) => setTimeout(r, 1600));
  else await new Promise((r) => setTimeout(r, 10));
};

describe.each(ADAPTERS)('job invariants under chaos on %s', (adapter) => {
  let t: TestDatabase;
  let jobs: Jobs;
  let failed = false;

  beforeAll(async () => {
    t = await createMigratedDatabase(adapter, 'jobs_chaos');
    jobs = await createJobs({ db: t.db, leaseCheckIntervalSeconds: 1 });
    await jobs.register(chaos);
  });
  afterAll(async () => {
    await jobs?.stop();
    await t?.dispose(failed);
  });

  it('keeps every job on one path through the state machine, ending once, succeeding at most once', async () => {
    try {
      const ids: string[] = [];
      for (let n = 0; n < JOB_COUNT; n++)
        ids.push(
          (
            await jobs.enqueue(chaos, {
              source: 'test',
              target: 'worker.test',
              payload: { n },
              idempotencyKey: `c${n}`,
            })
          ).jobId,
        );
      const workers: Worker<{ n: number }>[] = ['a', 'b', 'c'].map((name) =>
        jobs.work(chaos, handler, {
          workerId: name,
          concurrency: 2,
          pollIntervalMs: 50,
          sweepIntervalMs: 500,
        }),
      );
      const deadline = Date.now() + 90_000;
      for (;;) {
        const { rows } = await t.db.query<{ n: number }>(
          "select count(*)::int as n from cogo_jobs where state in ('succeeded', 'dead')",
        );
        if (rows[0]?.n === JOB_COUNT) break;
        if (Date.now() > deadline) throw new Error('jobs did not all finish');
        await new Promise((r) => setTimeout(r, 200));
      }
      await Promise.all(workers.map((w) => w.stop()));

      let conflicts = 0;
      for (const id of ids) {
        const job = await jobs.get(id);
        const events = await jobs.events(id);
        const transitions = events.filter((e) => e.kind === 'transition');
        conflicts += events.length - transitions.length;
        let state: (typeof transitions)[number]['toState'] | undefined;
        for (const e of transitions) {
          expect(e.fromState ?? undefined, `job ${id}`).toBe(state);
          expect(canTransition(state, e.toState)).toBe(true);
          state = e.toState;
        }
        expect(job?.state).toBe(state);
        expect(transitions.filter((e) => TERMINAL_STATES.includes(e.toState))).toHaveLength(1);
        expect(transitions.filter((e) => e.toState === 'succeeded').length).toBeLessThanOrEqual(1);
        expect(job!.attempt).toBeLessThanOrEqual(chaos.policy.maxAttempts);
        if (job?.state === 'dead') expect(['MAX_ATTEMPTS', 'TIMEOUT']).toContain(job.reason);
      }
      const counts = await jobs.counts();
      expect(counts.conflicts).toBe(conflicts);
      // The seeded draws make some attempts outlive their lease; each is refused when it settles.
      expect(conflicts).toBeGreaterThan(0);
    } catch (error) {
      failed = true;
      throw error;
    }
  });
});
