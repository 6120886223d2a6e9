// The job state machine on pg-boss, on both databases: every transition, retries with backoff then
// MAX_ATTEMPTS, invalid envelopes dead-lettered as INVALID_INPUT, idempotent enqueue, the attempt
// fence, lease expiry, redrive by reason and cancellation.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createLogger, defineMessageType } from '../src/core/index.ts';
import {
  createJobs,
  defineJob,
  type JobDefinition,
  type JobEvent,
  JobFailure,
  type JobHandler,
  type Jobs,
} from '../src/jobs/index.ts';
import { registry } from '../src/metrics/index.ts';
import { ADAPTERS, createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { waitFor } from './helpers/wait.ts';

const itemPayload = z.strictObject({ n: z.number().int() });

function jobType(name: string, policy: Parameters<typeof defineJob>[1] = {}): JobDefinition<{ n: number }> {
  return defineJob(defineMessageType({ type: `test.${name}`, payload: itemPayload }), {
    retryDelaySeconds: 1,
    ...policy,
  });
}

function send(jobs: Jobs, def: JobDefinition<{ n: number }>, n: number, key = `k-${n}`) {
  return jobs.enqueue(def, { source: 'test', target: 'worker.test', payload: { n }, idempotencyKey: key });
}

const ok: JobHandler<{ n: number }> = async () => undefined;

function path(events: readonly JobEvent[]): string[] {
  return events.map((e) =>
    e.kind === 'conflict'
      ? `conflict(${e.toState}@${e.attempt})`
      : `${e.fromState ?? 'new'}>${e.toState}${e.reason ? `:${e.reason}` : ''}`,
  );
}

function gate(): { wait: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
  return values
    .filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))
    .reduce((sum, v) => sum + v.value, 0);
}

describe.each(ADAPTERS)('jobs on %s', (adapter) => {
  let t: TestDatabase;
  let jobs: Jobs;
  const logLines: string[] = [];
  let failed = false;

  beforeAll(async () => {
    t = await createMigratedDatabase(adapter, 'jobs');
    const destination = new Writable({
      write(chunk, _encoding, callback) {
        logLines.push(...String(chunk).split('\n').filter(Boolean));
        callback();
      },
    });
    jobs = await createJobs({
      db: t.db,
      logger: createLogger({ destination, level: 'info' }),
      // pg-boss takes back expired leases by itself every second, so lapses happen within a test.
      leaseCheckIntervalSeconds: 1,
    });
  });
  afterAll(async () => {
    await jobs?.stop();
    await t?.dispose(failed);
  });

  function track(fn: () => Promise<void>): () => Promise<void> {
    return () =>
      fn().catch((error) => {
        failed = true;
        throw error;
      });
  }

  it(
    'runs a job queued -> active -> succeeded, handing the handler its envelope and attempt',
    track(async () => {
      const def = jobType('happy');
      await jobs.register(def);
      const { jobId, created } = await send(jobs, def, 7);
      expect(created).toBe(true);
      const seen: unknown[] = [];
      expect(
        await jobs.runOne(
          def,
          async (envelope, context) => {
            seen.push(envelope.payload, envelope.id, context.attempt, context.maxAttempts);
          },
          'w1',
        ),
      ).toBe(true);
      expect(seen).toEqual([{ n: 7 }, jobId, 1, 3]);
      expect(await jobs.runOne(def, ok, 'w1')).toBe(false);
      const job = await jobs.get(jobId);
      expect(job).toMatchObject({ state: 'succeeded', attempt: 1, reason: null, workerId: 'w1' });
      const events = await jobs.events(jobId);
      expect(path(events)).toEqual(['new>queued', 'queued>active', 'active>succeeded']);
      expect(events.every((e) => e.correlationId === job?.correlationId)).toBe(true);
      const logged = logLines.map((l) => JSON.parse(l)).filter((l) => l.job_id === jobId);
      expect(logged.map((l) => `${l.from ?? 'new'}>${l.to}`)).toEqual(path(events));
      expect(logged.every((l) => l.correlation_id === job?.correlationId)).toBe(true);
    }),
  );

  it(
    'creates one job for one idempotency key, however often and however concurrently it is enqueued',
    track(async () => {
      const def = jobType('idempotent');
      await jobs.register(def);
      const results = await Promise.all([send(jobs, def, 1, 'same'), send(jobs, def, 2, 'same')]);
      const again = await send(jobs, def, 3, 'same');
      expect(new Set([...results, again].map((r) => r.jobId)).size).toBe(1);
      expect([...results, again].filter((r) => r.created)).toHaveLength(1);
      const { rows } = await t.db.query<{ n: number }>(
        "select count(*)::int as n from cogo_jobs where queue = 'test.idempotent'",
      );
      expect(rows[0]?.n).toBe(1);
      expect(await jobs.runOne(def, ok, 'w1')).toBe(true);
      expect(await jobs.runOne(def, ok, 'w1')).toBe(false);
    }),
  );

  it(
    'retries a failing job with exponential backoff, then sends it to the DLQ as MAX_ATTEMPTS',
    track(async () => {
      const def = jobType('retry', { maxAttempts: 3, retryDelaySeconds: 1 });
      await jobs.register(def);
      const dlqBefore = await metric('cogo_jobs_dlq_total', { queue: 'test.retry', reason: 'MAX_ATTEMPTS' });
      const retriesBefore = await metric('cogo_jobs_retries_total', { queue: 'test.retry' });
      const { jobId } = await send(jobs, def, 1);
      const fail: JobHandler<{ n: number }> = async () => {
        throw new Error('provider said no');
      };
      await waitFor('the job to die', async () => {
        await jobs.runOne(def, fail, 'w1');
        const job = await jobs.get(jobId);
        return job?.state === 'dead' ? job : undefined;
      });
      const job = await jobs.get(jobId);
      expect(job).toMatchObject({
        state: 'dead',
        reason: 'MAX_ATTEMPTS',
        attempt: 3,
        lastError: 'provider said no',
      });
      const events = await jobs.events(jobId);
      expect(path(events)).toEqual([
        'new>queued',
        'queued>active',
        'active>failed',
        'failed>retrying',
        'retrying>active',
        'active>failed',
        'failed>retrying',
        'retrying>active',
        'active>failed',
        'failed>dead:MAX_ATTEMPTS',
      ]);
      // The engine's backoff: delay = retryDelay * (2^n / 2) * (1 + random), so 1-2 s, then 2-4 s.
      const delays = events
        .filter((e) => e.toState === 'retrying')
        .map((e) => (Date.parse(e.detail!.replace('next attempt at ', '')) - e.at.getTime()) / 1000);
      expect(delays[0]).toBeGreaterThanOrEqual(0.9);
      expect(delays[0]).toBeLessThanOrEqual(2.1);
      expect(delays[1]).toBeGreaterThanOrEqual(1.9);
      expect(delays[1]).toBeLessThanOrEqual(4.1);
      const counts = await jobs.counts({ queue: 'test.retry' });
      expect(counts).toEqual({ claims: 3, conflicts: 0, retries: 2, dlq: 1 });
      // Prometheus counters are per process (both databases' suites run in this one): compare deltas.
      expect(await metric('cogo_jobs_dlq_total', { queue: 'test.retry', reason: 'MAX_ATTEMPTS' })).toBe(
        dlqBefore + 1,
      );
      expect(await metric('cogo_jobs_retries_total', { queue: 'test.retry' })).toBe(retriesBefore + 2);
    }),
  );

  it(
    'sends a job to the DLQ at once with the reason of a non-retryable failure',
    track(async () => {
      const def = jobType('parse');
      await jobs.register(def);
      const { jobId } = await send(jobs, def, 1);
      await jobs.runOne(
        def,
        async () => {
          throw new JobFailure('PARSE_ERROR', 'unexpected token in a.ts');
        },
        'w1',
      );
      expect(await jobs.get(jobId)).toMatchObject({ state: 'dead', reason: 'PARSE_ERROR', attempt: 1 });
      expect(path(await jobs.events(jobId))).toEqual([
        'new>queued',
        'queued>active',
        'active>failed:PARSE_ERROR',
        'failed>dead:PARSE_ERROR',
      ]);
    }),
  );

  it(
    'aborts the handler at the end of its lease, failing the attempt as TIMEOUT',
    track(async () => {
      const def = jobType('deadline', { leaseSeconds: 1, maxAttempts: 1 });
      await jobs.register(def);
      const { jobId } = await send(jobs, def, 1);
      const startedAt = Date.now();
      await jobs.runOne(
        def,
        (_e, c) =>
          new Promise((_resolve, reject) => {
            c.signal.addEventListener('abort', () => reject(c.signal.reason));
          }),
        'w1',
      );
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(900);
      // Either the worker's own settle or, if pg-boss took the job back first, the sweep records it.
      const job = await waitFor('the job to die', async () => {
        await jobs.sweepLapsed(def);
        const j = await jobs.get(jobId);
        return j?.state === 'dead' ? j : undefined;
      });
      expect(job).toMatchObject({ state: 'dead', reason: 'TIMEOUT', attempt: 1 });
    }),
  );

  it(
    'keeps the reason of a retryable failure when its attempts run out',
    track(async () => {
      const def = jobType('provider', { maxAttempts: 1 });
      await jobs.register(def);
      const { jobId } = await send(jobs, def, 1);
      await jobs.runOne(
        def,
        async () => {
          throw new JobFailure('PROVIDER_UNAVAILABLE', 'all deployments down', { isRetryable: true });
        },
        'w1',
      );
      expect(await jobs.get(jobId)).toMatchObject({ state: 'dead', reason: 'PROVIDER_UNAVAILABLE' });
    }),
  );

  it(
    'dead-letters an envelope that fails validation as INVALID_INPUT, and the worker goes on',
    track(async () => {
      // An older producer whose schema for the type still allows a string: a rolling deploy.
      const strict = jobType('strict');
      const loose = defineJob(
        defineMessageType({
          type: 'test.strict',
          payload: z.strictObject({ n: z.union([z.number(), z.string()]) }),
        }),
      );
      const producer = await createJobs({ db: t.db });
      try {
        await producer.register(loose);
        await jobs.register(strict);
        const bad = await producer.enqueue(loose, {
          source: 'test',
          target: 'worker.test',
          payload: { n: 'seven' },
          idempotencyKey: 'bad',
        });
        const good = await send(jobs, strict, 8, 'good');
        const handled: number[] = [];
        const worker = jobs.work(strict, async (e) => void handled.push(e.payload.n), { pollIntervalMs: 50 });
        await waitFor('the good job', async () =>
          (await jobs.get(good.jobId))?.state === 'succeeded' ? true : undefined,
        );
        await worker.stop();
        expect(handled).toEqual([8]);
        const dead = await jobs.get(bad.jobId);
        expect(dead).toMatchObject({ state: 'dead', reason: 'INVALID_INPUT', attempt: 1 });
        expect(dead?.lastError).toMatch(/payload\.n/);
        expect(path(await jobs.events(bad.jobId)).slice(-2)).toEqual([
          'active>failed:INVALID_INPUT',
          'failed>dead:INVALID_INPUT',
        ]);
      } finally {
        await producer.stop();
      }
    }),
  );

  it(
    'refuses the late completion of a worker whose lease lapsed, and counts it as a conflict',
    track(async () => {
      const def = jobType('fence', { leaseSeconds: 1, maxAttempts: 3 });
      await jobs.register(def);
      const conflictsBefore = await metric('cogo_jobs_conflicts_total', { queue: 'test.fence' });
      const { jobId } = await send(jobs, def, 1);
      const held = gate();
      const started = gate();
      const runs: string[] = [];
      const first = jobs.runOne(
        def,
        async (_e, c) => {
          runs.push(`${c.workerId}@${c.attempt}`);
          started.open();
          await held.wait;
        },
        'worker-a',
      );
      await started.wait;
      await waitFor('the lease to lapse', async () =>
        (await jobs.sweepLapsed(def)) === 1 ? true : undefined,
      );
      expect(await jobs.get(jobId)).toMatchObject({ state: 'retrying', lastError: 'lease expired' });
      await waitFor('the second claim', async () =>
        (await jobs.runOne(def, async (_e, c) => void runs.push(`${c.workerId}@${c.attempt}`), 'worker-b'))
          ? true
          : undefined,
      );
      held.open();
      await first;
      expect(runs).toEqual(['worker-a@1', 'worker-b@2']);
      expect(await jobs.get(jobId)).toMatchObject({ state: 'succeeded', attempt: 2, workerId: 'worker-b' });
      expect(path(await jobs.events(jobId))).toEqual([
        'new>queued',
        'queued>active',
        'active>failed:TIMEOUT',
        'failed>retrying',
        'retrying>active',
        'active>succeeded',
        'conflict(succeeded@1)',
      ]);
      expect((await jobs.counts({ queue: 'test.fence' })).conflicts).toBe(1);
      expect(await metric('cogo_jobs_conflicts_total', { queue: 'test.fence' })).toBe(conflictsBefore + 1);
    }),
  );

  it(
    'records a lapse noticed only at the next claim, and a lapse of the last attempt as dead by TIMEOUT',
    track(async () => {
      const def = jobType('lapse', { leaseSeconds: 1, maxAttempts: 2 });
      await jobs.register(def);
      const { jobId } = await send(jobs, def, 1);
      const hang = gate();
      const stuck: JobHandler<{ n: number }> = () => hang.wait;
      const runs = [jobs.runOne(def, stuck, 'a')];
      await waitFor('the first claim', async () =>
        (await jobs.get(jobId))?.state === 'active' ? 1 : undefined,
      );
      // pg-boss's own supervisor (every second here) takes the job back; no sweep of ours runs, so
      // the next claim is what records the lapse.
      const second = gate();
      const stuckB: JobHandler<{ n: number }> = async () => {
        second.open();
        await hang.wait;
      };
      await waitFor('the second claim', async () => {
        const claimed = jobs.runOne(def, stuckB, 'b');
        const outcome = await Promise.race([claimed, second.wait.then(() => 'running' as const)]);
        if (outcome !== 'running') return undefined;
        runs.push(claimed);
        return true;
      });
      expect(await jobs.get(jobId)).toMatchObject({ state: 'active', attempt: 2, workerId: 'b' });
      // The last attempt lapses too: the sweep records it as dead.
      await waitFor('the last lapse', async () => ((await jobs.sweepLapsed(def)) === 1 ? true : undefined));
      hang.open();
      await Promise.all(runs);
      expect(await jobs.get(jobId)).toMatchObject({ state: 'dead', reason: 'TIMEOUT', attempt: 2 });
      const events = path(await jobs.events(jobId));
      expect(events.slice(0, 7)).toEqual([
        'new>queued',
        'queued>active',
        'active>failed:TIMEOUT',
        'failed>retrying',
        'retrying>active',
        'active>failed:TIMEOUT',
        'failed>dead:TIMEOUT',
      ]);
      // Both late settles are refused; they race each other, so in either order.
      expect(events.slice(7).sort()).toEqual(['conflict(succeeded@1)', 'conflict(succeeded@2)']);
    }),
  );

  it(
    'lets a running handler finish and settle when its worker stops, and claims nothing after',
    track(async () => {
      const def = jobType('graceful');
      await jobs.register(def);
      const first = await send(jobs, def, 1);
      const started = gate();
      const worker = jobs.work(
        def,
        async () => {
          started.open();
          await new Promise((r) => setTimeout(r, 300));
        },
        { pollIntervalMs: 50 },
      );
      await started.wait;
      await worker.stop();
      expect(await jobs.get(first.jobId)).toMatchObject({ state: 'succeeded', workerId: worker.id });
      const second = await send(jobs, def, 2);
      await new Promise((r) => setTimeout(r, 200));
      expect((await jobs.get(second.jobId))?.state).toBe('queued');
      expect(await jobs.runOne(def, ok, 'w1')).toBe(true);
    }),
  );

  it(
    'redrives dead jobs by reason, as new runs that complete',
    track(async () => {
      const def = jobType('redrive');
      await jobs.register(def);
      const parse = await send(jobs, def, 1);
      const invalid = await send(jobs, def, 2);
      const failWith = (reason: 'PARSE_ERROR' | 'INVALID_INPUT') => async () => {
        throw new JobFailure(reason, reason);
      };
      await jobs.runOne(def, failWith('PARSE_ERROR'), 'w1');
      await jobs.runOne(def, failWith('INVALID_INPUT'), 'w1');
      expect((await jobs.get(parse.jobId))?.reason).toBe('PARSE_ERROR');
      const before = (await jobs.get(parse.jobId))?.queueJobId;
      expect(await jobs.redrive({ reason: 'PARSE_ERROR', queue: 'test.redrive' })).toEqual([parse.jobId]);
      expect(await jobs.get(invalid.jobId)).toMatchObject({ state: 'dead', reason: 'INVALID_INPUT' });
      const redriven = await jobs.get(parse.jobId);
      expect(redriven).toMatchObject({ state: 'queued', attempt: 0, reason: null });
      expect(redriven?.queueJobId).not.toBe(before);
      expect(await jobs.runOne(def, ok, 'w2')).toBe(true);
      expect(await jobs.get(parse.jobId)).toMatchObject({ state: 'succeeded', attempt: 1 });
      expect(path(await jobs.events(parse.jobId))).toEqual([
        'new>queued',
        'queued>active',
        'active>failed:PARSE_ERROR',
        'failed>dead:PARSE_ERROR',
        'dead>queued:PARSE_ERROR',
        'queued>active',
        'active>succeeded',
      ]);
      expect(await jobs.redrive({ reason: 'PARSE_ERROR', queue: 'test.redrive' })).toEqual([]);
    }),
  );

  it(
    'cancels a queued job so no worker claims it, and refuses the completion of a cancelled running one',
    track(async () => {
      const def = jobType('cancel');
      await jobs.register(def);
      const queued = await send(jobs, def, 1);
      expect(await jobs.cancel(queued.jobId)).toBe(true);
      expect(await jobs.runOne(def, ok, 'w1')).toBe(false);
      expect(await jobs.get(queued.jobId)).toMatchObject({ state: 'cancelled', reason: 'CANCELLED' });
      expect(await jobs.cancel(queued.jobId)).toBe(false);

      const running = await send(jobs, def, 2);
      const held = gate();
      const started = gate();
      const run = jobs.runOne(
        def,
        async () => {
          started.open();
          await held.wait;
        },
        'w1',
      );
      await started.wait;
      expect(await jobs.cancel(running.jobId)).toBe(true);
      held.open();
      await run;
      expect(await jobs.get(running.jobId)).toMatchObject({ state: 'cancelled' });
      expect(path(await jobs.events(running.jobId))).toEqual([
        'new>queued',
        'queued>active',
        'active>cancelled:CANCELLED',
        'conflict(succeeded@1)',
      ]);
    }),
  );
});
