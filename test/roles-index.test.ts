// The index roles as real processes on a server database: `cogo orchestrator` turns a request from
// `cogo index --enqueue` into an index saga; an index worker killed with SIGKILL in the middle of
// extraction loses its step to a second worker after the lease, and the final graph equals a clean
// run. Then, on a private Postgres instance, the server is restarted mid-run and the worker
// reconnects and finishes.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPostgresDb,
  type Db,
  DEFAULT_MIGRATIONS_DIR,
  loadMigrations,
  migrate,
} from '../src/db/index.ts';
import { type IndexRequest, indexRepository, requestIndex, selectIndexRequest } from '../src/kg/index.ts';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { type PrivatePostgres, startPrivatePostgres } from './helpers/private-postgres.ts';
import { type RoleProcess, startRole } from './helpers/processes.ts';
import { copyFixture, type GraphSnapshot, snapshotGraph } from './helpers/repos.ts';
import { waitFor } from './helpers/wait.ts';

const MAIN = new URL('../src/cli/main.ts', import.meta.url).pathname;
const run = promisify(execFile);

const finished = (db: Db, id: string) =>
  waitFor(`request ${id} to finish`, async () => {
    const r = await selectIndexRequest(db, id);
    return r && ['succeeded', 'failed', 'unchanged'].includes(r.state) ? r : undefined;
  });

async function cleanGraph(root: string): Promise<GraphSnapshot> {
  const reference = await createMigratedDatabase('postgres', 'roles_index_ref');
  try {
    await indexRepository(reference.db, { root, maxFileBytes: 1_000_000, full: true });
    return await snapshotGraph(reference.db);
  } finally {
    await reference.dispose();
  }
}

describe('index roles as processes', () => {
  const running: RoleProcess[] = [];
  afterAll(() => {
    for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  });

  async function start(args: string[], env: Record<string, string>): Promise<RoleProcess> {
    const p = await startRole(args, env, 90_000);
    running.push(p);
    return p;
  }

  it('refuses cogo index --enqueue on the embedded database, which no other process can open', async () => {
    const root = copyFixture('ts-basic');
    const failed = await run(process.execPath, [MAIN, '--repo', root, 'index', '--enqueue'], {
      env: { ...process.env, DATABASE_URL: '', LOG_LEVEL: 'silent' },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toContain('INDEX_ENQUEUE_NEEDS_SERVER');
  });

  describe('on the shared server', () => {
    let t: TestDatabase;
    let root: string;
    let env: Record<string, string>;
    beforeAll(async () => {
      t = await createMigratedDatabase('postgres', 'roles_index');
      root = copyFixture('ts-monorepo');
      env = {
        DATABASE_URL: t.url!,
        JOBS_LEASE_CHECK_SECONDS: '1',
        INDEX_LEASE_SECONDS: '10',
        COGO_TEST_EXTRACT_DELAY_MS: '3000',
      };
    });
    afterAll(async () => {
      await t?.dispose();
    });

    it('takes over the extract step of a worker killed with SIGKILL after its lease, and the graph equals a clean run', async () => {
      const orchestrator = await start(
        ['--repo', root, 'orchestrator', '--port', '0', '--interval-ms', '200'],
        env,
      );
      const a = await start(['--repo', root, 'worker', 'index', '--port', '0'], env);
      const health = (await (await fetch(`${a.url}/healthz`)).json()) as { result: { role: string } };
      expect(health.result.role).toBe('worker-index');
      const oh = (await (await fetch(`${orchestrator.url}/healthz`)).json()) as { result: { role: string } };
      expect(oh.result.role).toBe('orchestrator');

      const { stdout } = await run(
        process.execPath,
        [MAIN, '--repo', root, 'index', '--enqueue', '--request-id', 'crash-1'],
        {
          env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
        },
      );
      expect(stdout).toContain('index request crash-1: pending');

      await waitFor('worker a to start extracting', () =>
        a.output().includes('extract started') ? true : undefined,
      );
      a.child.kill('SIGKILL');
      expect(await a.exited).toBeNull();
      const b = await start(['--repo', root, 'worker', 'index', '--port', '0'], env);

      const done: IndexRequest = await finished(t.db, 'crash-1');
      expect(done.state).toBe('succeeded');
      expect(b.output()).toMatch(/extract started \S+ attempt 2/);
      // finalize records the request, then its job settles: wait for the settle.
      const rows = await waitFor('the finalize job to settle', async () => {
        const r = await t.db.query<{ queue: string; state: string; attempt: number }>(
          `select queue, state, attempt from cogo_jobs where envelope->'payload'->>'sagaId' = $1 order by created_at`,
          [done.sagaId],
        );
        return r.rows.at(-1)?.state === 'succeeded' ? r.rows : undefined;
      });
      expect(rows).toEqual([
        { queue: 'index.extract', state: 'succeeded', attempt: 2 },
        { queue: 'index.embed', state: 'succeeded', attempt: 1 },
        { queue: 'index.finalize', state: 'succeeded', attempt: 1 },
      ]);
      const lapse = await t.db.query<{ reason: string }>(
        `select e.reason from job_events e join cogo_jobs j on j.id = e.job_id
          where j.queue = 'index.extract' and e.to_state = 'failed'`,
      );
      expect(lapse.rows).toEqual([{ reason: 'TIMEOUT' }]);
      expect(await snapshotGraph(t.db)).toEqual(await cleanGraph(root));

      const metrics = await (await fetch(`${b.url}/metrics`)).text();
      expect(metrics).toContain('cogo_jobs_claims_total{queue="index.extract"}');
      await waitFor('the orchestrator to count the request', async () => {
        const m = await (await fetch(`${orchestrator.url}/metrics`)).text();
        return m.includes('cogo_index_requests{state="succeeded"} 1') ? true : undefined;
      });
      b.child.kill('SIGTERM');
      orchestrator.child.kill('SIGTERM');
      expect(await b.exited).toBe(0);
      expect(await orchestrator.exited).toBe(0);
    });

    it('drains on SIGTERM in the middle of a step: the step finishes and settles, then the process exits', async () => {
      const orchestrator = await start(
        ['--repo', root, 'orchestrator', '--port', '0', '--interval-ms', '200'],
        env,
      );
      const a = await start(['--repo', root, 'worker', 'index', '--port', '0'], env);
      await requestIndex(t.db, { root, full: true, requestId: 'drain-1', source: 'test' });
      await waitFor('worker a to start extracting', () =>
        a.output().includes('extract started') ? true : undefined,
      );
      a.child.kill('SIGTERM');
      // While draining it says so on /healthz (503) and claims nothing new; the step has seconds to run.
      await waitFor('worker a to say it is draining', async () => {
        const res = await fetch(`${a.url}/healthz`).catch(() => undefined);
        return res?.status === 503 ? true : undefined;
      });
      expect(await a.exited).toBe(0);
      const request = await selectIndexRequest(t.db, 'drain-1');
      const { rows } = await t.db.query<{ queue: string; state: string; attempt: number }>(
        `select queue, state, attempt from cogo_jobs where envelope->'payload'->>'sagaId' = $1 order by created_at`,
        [request!.sagaId],
      );
      expect(rows[0]).toEqual({ queue: 'index.extract', state: 'succeeded', attempt: 1 });
      expect(rows.slice(1).every((r) => r.state === 'queued')).toBe(true);

      const b = await start(['--repo', root, 'worker', 'index', '--port', '0'], env);
      expect((await finished(t.db, 'drain-1')).state).toBe('succeeded');
      b.child.kill('SIGTERM');
      orchestrator.child.kill('SIGTERM');
      expect(await b.exited).toBe(0);
      expect(await orchestrator.exited).toBe(0);
    });

    it('finishes a run whose orchestrator was killed with SIGKILL, and a new orchestrator takes the next request', async () => {
      const first = await start(['--repo', root, 'orchestrator', '--port', '0', '--interval-ms', '200'], env);
      const worker = await start(['--repo', root, 'worker', 'index', '--port', '0'], env);
      await requestIndex(t.db, { root, full: true, requestId: 'orphan-1', source: 'test' });
      await waitFor('the worker to start extracting', () =>
        worker.output().includes('extract started') ? true : undefined,
      );
      first.child.kill('SIGKILL');
      expect(await first.exited).toBeNull();
      // The steps chain themselves and finalize records the request: no orchestrator is needed.
      expect((await finished(t.db, 'orphan-1')).state).toBe('succeeded');

      await requestIndex(t.db, { root, requestId: 'orphan-2', source: 'test' });
      const second = await start(
        ['--repo', root, 'orchestrator', '--port', '0', '--interval-ms', '200'],
        env,
      );
      expect((await finished(t.db, 'orphan-2')).state).toBe('unchanged');
      worker.child.kill('SIGTERM');
      second.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      expect(await second.exited).toBe(0);
    });
  });

  describe('on a private Postgres instance that restarts mid-run', () => {
    let pg: PrivatePostgres;
    let db: Db;
    let root: string;
    beforeAll(async () => {
      pg = await startPrivatePostgres();
      const admin = await createPostgresDb({ connectionString: pg.url() });
      await admin.query('create database cogo');
      await admin.close();
      db = await createPostgresDb({ connectionString: pg.url('cogo') });
      const report = await migrate(db, loadMigrations(DEFAULT_MIGRATIONS_DIR));
      expect(report.ok).toBe(true);
      root = copyFixture('ts-basic');
    });
    afterAll(async () => {
      await db?.close();
      await pg?.dispose();
    });

    it('reconnects after the server restarts and finishes the run in the same worker process', async () => {
      const env = {
        DATABASE_URL: pg.url('cogo'),
        JOBS_LEASE_CHECK_SECONDS: '1',
        INDEX_LEASE_SECONDS: '60',
        COGO_TEST_EXTRACT_DELAY_MS: '4000',
      };
      const orchestrator = await start(
        ['--repo', root, 'orchestrator', '--port', '0', '--interval-ms', '200'],
        env,
      );
      const worker = await start(['--repo', root, 'worker', 'index', '--port', '0'], env);
      await db.query(
        `insert into index_requests (id, root, state, source) values ('restart-1', $1, 'pending', 'test')`,
        [root],
      );
      await waitFor('the worker to start extracting', () =>
        worker.output().includes('extract started') ? true : undefined,
      );
      await pg.restart();

      const done = await finished(db, 'restart-1');
      expect(done.state).toBe('succeeded');
      expect(worker.child.exitCode).toBeNull();
      expect(worker.output()).not.toMatch(/attempt 2/);
      // The restart happened while the extract step was running: after its claim, before its end.
      const { rows } = await db.query<{ claimed: Date; ended: Date; restarted: Date }>(
        `select min(e.at) filter (where e.to_state = 'active') as claimed,
                max(e.at) filter (where e.to_state = 'succeeded') as ended,
                pg_postmaster_start_time() as restarted
           from job_events e join cogo_jobs j on j.id = e.job_id where j.queue = 'index.extract'`,
      );
      const r = rows[0]!;
      expect(r.claimed < r.restarted && r.restarted < r.ended).toBe(true);
      expect(await snapshotGraph(db)).toEqual(await cleanGraph(root));
      const health = await fetch(`${worker.url}/healthz`);
      expect(health.status).toBe(200);
      worker.child.kill('SIGTERM');
      orchestrator.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      expect(await orchestrator.exited).toBe(0);
    });
  });
});
