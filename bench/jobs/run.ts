/**
 * bench:jobs — what the job layer (cogo's state machine on pg-boss) costs per job, on PGlite and on
 * the Postgres server:
 *   1. enqueue: one job per call (envelope validation, cogo_jobs row, pg-boss send, event), sequential
 *   2. duplicate enqueue: the same idempotency key again (the fast path: one select)
 *   3. drain: claim -> no-op handler -> complete, through `Jobs.work`, at concurrency 1 and 4
 *   4. takeover: a job whose worker stopped settling is claimed again this long after its lease
 *      ran out (pg-boss checks leases every `leaseCheckIntervalSeconds`, 1 s here)
 *   5. enqueue-to-start: an idle worker (default 500 ms poll, woken by the enqueue's NOTIFY), one job
 *      at a time: from the enqueue call to the handler's start
 * Writes bench/jobs/results.json and prints the table for BENCHMARKS.md.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { z } from 'zod';
import { defineMessageType } from '../../src/core/index.ts';
import {
  createPgliteDb,
  type Db,
  DEFAULT_MIGRATIONS_DIR,
  loadMigrations,
  migrate,
} from '../../src/db/index.ts';
import { createJobs, defineJob, type JobDefinition, type Jobs } from '../../src/jobs/index.ts';
import { freshServerDb, loadavg, REPO, revision } from '../common.ts';

const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const JOBS = Number(process.env.BENCH_JOBS ?? 500);
const log = (m: string) => process.stderr.write(`[bench:jobs] ${m}\n`);

const payload = z.strictObject({ n: z.number().int() });
const type = (name: string, policy = {}) =>
  defineJob(defineMessageType({ type: `bench.${name}`, payload }), { retryDelaySeconds: 1, ...policy });

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function succeeded(db: Db, queue: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    "select count(*)::int as n from cogo_jobs where queue = $1 and state = 'succeeded'",
    [queue],
  );
  return rows[0]?.n ?? 0;
}

async function enqueueAll(jobs: Jobs, def: JobDefinition<{ n: number }>, prefix: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < JOBS; i++) {
    const t0 = performance.now();
    await jobs.enqueue(def, {
      source: 'bench',
      target: 'worker.bench',
      payload: { n: i },
      idempotencyKey: `${prefix}${i}`,
    });
    times.push(performance.now() - t0);
  }
  return times;
}

async function drain(db: Db, jobs: Jobs, concurrency: number): Promise<number> {
  const def = type(`drain${concurrency}`);
  await jobs.register(def);
  await enqueueAll(jobs, def, 'd');
  const t0 = performance.now();
  const worker = jobs.work(def, async () => undefined, { concurrency, pollIntervalMs: 20 });
  await waitUntil(async () => (await succeeded(db, def.messageType.type)) === JOBS);
  const seconds = (performance.now() - t0) / 1000;
  await worker.stop();
  return JOBS / seconds;
}

async function takeover(jobs: Jobs): Promise<number> {
  const def = type('takeover', { leaseSeconds: 1 });
  await jobs.register(def);
  const { jobId } = await jobs.enqueue(def, {
    source: 'bench',
    target: 'worker.bench',
    payload: { n: 0 },
    idempotencyKey: 't',
  });
  let release = () => undefined as unknown;
  const stuck = jobs.runOne(def, () => new Promise((r) => (release = r)), 'stuck');
  await waitUntil(async () => (await jobs.get(jobId))?.state === 'active');
  const leaseEnd = (await jobs.get(jobId))!.leaseExpiresAt!.getTime();
  let claimedAt = 0;
  const rescue = async () => {
    claimedAt = Date.now();
  };
  await waitUntil(() => jobs.runOne(def, rescue, 'rescuer'));
  release();
  await stuck;
  return (claimedAt - leaseEnd) / 1000;
}

const LATENCY_JOBS = Number(process.env.BENCH_LATENCY_JOBS ?? 100);

/** From the enqueue call to the handler's start, one job at a time, on an idle worker in the same process. */
async function enqueueToStart(jobs: Jobs): Promise<number[]> {
  const def = type('latency');
  await jobs.register(def);
  const started = new Map<number, number>();
  const worker = jobs.work(def, async (e) => {
    started.set(e.payload.n, performance.now());
  });
  await new Promise((r) => setTimeout(r, 600));
  const latencies: number[] = [];
  for (let i = 0; i < LATENCY_JOBS; i++) {
    const t0 = performance.now();
    await jobs.enqueue(def, {
      source: 'bench',
      target: 'worker.bench',
      payload: { n: i },
      idempotencyKey: `l${i}`,
    });
    await waitUntil(async () => started.has(i), 10_000);
    latencies.push(started.get(i)! - t0);
    // Let the worker go idle again, as between real requests.
    await new Promise((r) => setTimeout(r, 30));
  }
  await worker.stop();
  return latencies;
}

const pctl = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};

async function measure(adapter: 'pglite' | 'postgres') {
  let db: Db;
  let drop: (() => Promise<void>) | undefined;
  if (adapter === 'pglite')
    db = await createPgliteDb({ dataDir: join(REPO, 'bench/.work/jobs-pglite', String(Date.now())) });
  else {
    const admin = new pg.Client({ connectionString: `${PG_URL}/postgres` });
    await admin.connect();
    const server = await freshServerDb(admin, PG_URL);
    db = server.db;
    drop = async () => {
      await server.drop();
      await admin.end();
    };
  }
  const report = await migrate(db, loadMigrations(DEFAULT_MIGRATIONS_DIR));
  if (!report.ok) throw new Error('migrations failed');
  const jobs = await createJobs({ db, leaseCheckIntervalSeconds: 1 });
  try {
    const def = type('enqueue');
    await jobs.register(def);
    log(`${adapter}: enqueue ${JOBS}`);
    const enqueue = await enqueueAll(jobs, def, 'e');
    const duplicate = await enqueueAll(jobs, def, 'e');
    log(`${adapter}: drain`);
    const drain1 = await drain(db, jobs, 1);
    const drain4 = await drain(db, jobs, 4);
    log(`${adapter}: takeover`);
    const takeoverSeconds = await takeover(jobs);
    log(`${adapter}: enqueue-to-start`);
    const latency = await enqueueToStart(jobs);
    return {
      adapter,
      enqueueMsMedian: round(median(enqueue)),
      duplicateEnqueueMsMedian: round(median(duplicate)),
      drainJobsPerSecond: { concurrency1: round(drain1, 1), concurrency4: round(drain4, 1) },
      takeoverSecondsAfterLease: round(takeoverSeconds, 2),
      enqueueToStartMs: {
        p50: round(pctl(latency, 50), 1),
        p95: round(pctl(latency, 95), 1),
        max: round(pctl(latency, 100), 1),
      },
    };
  } finally {
    await jobs.stop();
    await db.close();
    await drop?.();
  }
}

const results = [];
for (const adapter of ['pglite', 'postgres'] as const) results.push(await measure(adapter));
const out = { revision: revision(), jobs: JOBS, node: process.version, loadavg: loadavg(), results };
writeFileSync(join(REPO, 'bench/jobs/results.json'), `${JSON.stringify(out, null, 2)}\n`);
process.stdout.write(
  [
    '| database | enqueue (ms, median) | duplicate enqueue (ms, median) | drain, 1 at a time (jobs/s) | drain, 4 at a time (jobs/s) | takeover after lease end (s) | enqueue to start (ms, p50 / p95 / max) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${r.adapter} | ${r.enqueueMsMedian} | ${r.duplicateEnqueueMsMedian} | ${r.drainJobsPerSecond.concurrency1} | ${r.drainJobsPerSecond.concurrency4} | ${r.takeoverSecondsAfterLease} | ${r.enqueueToStartMs.p50} / ${r.enqueueToStartMs.p95} / ${r.enqueueToStartMs.max} |`,
    ),
    '',
  ].join('\n'),
);
