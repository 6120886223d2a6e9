// Two worker processes claim from one server database; one is killed with SIGKILL in the middle of
// a job. After its lease the other takes the job over, and every job completes exactly once.
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobs, type Jobs } from '../src/jobs/index.ts';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { multiJob } from './helpers/job-worker-process.ts';
import { waitFor } from './helpers/wait.ts';

const SCRIPT = new URL('./helpers/job-worker-process.ts', import.meta.url).pathname;
const JOB_COUNT = 6;

interface WorkerProcess {
  readonly child: ChildProcess;
  readonly lines: string[];
  exited: boolean;
}

function startWorker(url: string, workerId: string): WorkerProcess {
  const child = spawn(process.execPath, [SCRIPT], {
    env: { ...process.env, DATABASE_URL: url, WORKER_ID: workerId, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const worker: WorkerProcess = { child, lines: [], exited: false };
  let buffer = '';
  child.stdout?.on('data', (d: Buffer) => {
    buffer += d.toString();
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    worker.lines.push(...parts);
  });
  child.on('exit', () => {
    worker.exited = true;
  });
  return worker;
}

describe('worker processes on one server database', () => {
  let t: TestDatabase;
  let producer: Jobs;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    t = await createMigratedDatabase('postgres', 'jobs_multi');
    producer = await createJobs({ db: t.db });
    await producer.register(multiJob);
  });
  afterAll(async () => {
    for (const w of workers) if (!w.exited) w.child.kill('SIGTERM');
    await Promise.all(
      workers.map((w) => (w.exited ? undefined : new Promise((r) => w.child.once('exit', r)))),
    );
    await producer?.stop();
    await t?.dispose();
  });

  it('takes over the job of a worker killed mid-job after its lease, and completes every job exactly once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < JOB_COUNT; i++) {
      const { jobId } = await producer.enqueue(multiJob, {
        source: 'test',
        target: 'worker.test',
        payload: { ms: 1200 },
        idempotencyKey: `multi-${i}`,
      });
      ids.push(jobId);
    }
    const a = startWorker(t.url!, 'worker-a');
    const b = startWorker(t.url!, 'worker-b');
    workers.push(a, b);
    const started = await waitFor('worker-a to start a job', () =>
      a.lines.find((l) => l.startsWith('start ')),
    );
    const victim = started.split(' ')[1]!;
    a.child.kill('SIGKILL');
    await waitFor('worker-a to die', () => (a.exited ? true : undefined));

    await waitFor('every job to succeed', async () => {
      const { rows } = await t.db.query<{ n: number }>(
        "select count(*)::int as n from cogo_jobs where queue = 'test.multi' and state = 'succeeded'",
      );
      return rows[0]?.n === JOB_COUNT ? true : undefined;
    });

    const { rows } = await t.db.query<{ job_id: string; n: number }>(
      `select job_id, count(*)::int as n from job_events
        where kind = 'transition' and to_state = 'succeeded' group by job_id`,
    );
    expect(rows.map((r) => r.n)).toEqual(Array(JOB_COUNT).fill(1));
    expect(rows.map((r) => r.job_id).sort()).toEqual([...ids].sort());

    const taken = await producer.get(victim);
    expect(taken).toMatchObject({ state: 'succeeded', attempt: 2, workerId: 'worker-b' });
    const events = await producer.events(victim);
    expect(events.map((e) => `${e.fromState}>${e.toState}:${e.reason ?? ''}:${e.workerId ?? ''}`)).toEqual([
      'null>queued::',
      'queued>active::worker-a',
      'active>failed:TIMEOUT:',
      'failed>retrying::',
      'retrying>active::worker-b',
      'active>succeeded::worker-b',
    ]);
    expect(b.lines).toContain(`start ${victim} 2`);
    const counts = await producer.counts({ queue: 'test.multi' });
    expect(counts).toMatchObject({ claims: JOB_COUNT + 1, conflicts: 0, dlq: 0 });
  });
});
