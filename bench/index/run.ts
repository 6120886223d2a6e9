/**
 * bench:index — index throughput through the queue: `cogo orchestrator` and 1, 2 and 4 `cogo worker
 * index` processes on the Postgres server, each configuration on a fresh database, given
 * BENCH_INDEX_REQUESTS (default 4) full index requests for as many copies of one repository (cogo's
 * own src/, test/, bench/, scripts/ and tsconfig.json, without test fixtures). Also the same runs in one process without the queue, as the baseline.
 * Writes bench/index/results.json and prints the table for BENCHMARKS.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  createPostgresDb,
  type Db,
  DEFAULT_MIGRATIONS_DIR,
  loadMigrations,
  migrate,
} from '../../src/db/index.ts';
import { indexRepository, requestIndex } from '../../src/kg/index.ts';
import { createLocalEmbedder, indexSearch } from '../../src/search/index.ts';
import { loadavg, REPO, revision } from '../common.ts';

const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const REQUESTS = Number(process.env.BENCH_INDEX_REQUESTS ?? 4);
const WORKERS = (process.env.BENCH_INDEX_WORKERS ?? '1,2,4').split(',').map(Number);
// How often each process's pg-boss checks leases (JOBS_LEASE_CHECK_SECONDS; the default is 30).
const LEASE_CHECK_SECONDS = process.env.BENCH_INDEX_LEASE_CHECK_SECONDS ?? '30';
const MAIN = join(REPO, 'src/cli/main.ts');
const MAX_FILE_BYTES = 1_000_000;
const log = (m: string) => process.stderr.write(`[bench:index] ${m}\n`);
const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${PG_URL}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function freshDatabase(label: string): Promise<{ name: string; url: string; db: Db }> {
  const name = `cogo_bench_index_${label}_${Date.now()}`;
  await admin(`create database ${name}`);
  const url = `${PG_URL}/${name}`;
  const db = await createPostgresDb({ connectionString: url });
  const report = await migrate(db, loadMigrations(DEFAULT_MIGRATIONS_DIR));
  if (!report.ok) throw new Error('migrations failed');
  return { name, url, db };
}

/** N copies of cogo's own sources: the same content at N roots. */
function repositoryCopies(n: number): string[] {
  return Array.from({ length: n }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'cogo-bench-index-'));
    for (const part of ['src', 'test', 'bench', 'scripts', 'tsconfig.json'])
      cpSync(join(REPO, part), join(dir, part), {
        recursive: true,
        // The fixtures are repositories of their own; bench/.work holds downloaded corpora.
        filter: (from) => !/[/\\](fixtures|\.work|node_modules)([/\\]|$)/.test(from),
      });
    return dir;
  });
}

function startRole(args: string[], env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`cogo ${args.join(' ')} exited with ${code}`)));
  });
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
}

interface StepFigure {
  readonly meanSeconds: number;
  readonly workers: number;
}

async function stepFigures(db: Db): Promise<Record<string, StepFigure>> {
  const { rows } = await db.query<{ queue: string; mean: number; workers: number }>(
    `select j.queue, avg(extract(epoch from (s.at - a.at)))::float8 as mean, count(distinct s.worker_id)::int as workers
       from cogo_jobs j
       join job_events a on a.job_id = j.id and a.to_state = 'active' and a.attempt = j.attempt
       join job_events s on s.job_id = j.id and s.to_state = 'succeeded'
      where j.queue like 'index.%' group by j.queue order by j.queue`,
  );
  return Object.fromEntries(rows.map((r) => [r.queue, { meanSeconds: round(r.mean), workers: r.workers }]));
}

async function queued(workers: number, roots: string[]) {
  const { name, url, db } = await freshDatabase(`w${workers}`);
  const env = { DATABASE_URL: url, JOBS_LEASE_CHECK_SECONDS: LEASE_CHECK_SECONDS };
  const children: ChildProcess[] = [];
  try {
    children.push(
      await startRole(['--repo', roots[0]!, 'orchestrator', '--port', '0', '--interval-ms', '200'], env),
    );
    for (let i = 0; i < workers; i++)
      children.push(await startRole(['--repo', roots[0]!, 'worker', 'index', '--port', '0'], env));
    const loadBefore = loadavg();
    const t0 = performance.now();
    for (const [i, root] of roots.entries())
      await requestIndex(db, { root, full: true, requestId: `bench-${i}`, source: 'bench' });
    for (;;) {
      const { rows } = await db.query<{ open: number; failed: number }>(
        `select count(*) filter (where state in ('pending', 'running'))::int as open,
                count(*) filter (where state = 'failed')::int as failed from index_requests`,
      );
      if (rows[0]!.failed > 0) throw new Error('an index request failed');
      if (rows[0]!.open === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - t0) / 1000;
    const loadAfter = loadavg();
    // The request is recorded finished inside finalize; its job settles just after (the drain waits).
    await stopAll(children);
    return {
      mode: `queue, ${workers} worker${workers === 1 ? '' : 's'}`,
      workers,
      seconds: round(seconds),
      requestsPerMinute: round((roots.length / seconds) * 60),
      steps: await stepFigures(db),
      loadBefore,
      loadAfter,
    };
  } finally {
    await stopAll(children);
    await db.close();
    await admin(`drop database if exists ${name} with (force)`);
  }
}

async function inProcess(roots: string[]) {
  const { name, db } = await freshDatabase('inproc');
  try {
    const loadBefore = loadavg();
    const embedder = createLocalEmbedder();
    const t0 = performance.now();
    for (const root of roots) {
      await indexRepository(db, { root, maxFileBytes: MAX_FILE_BYTES, full: true });
      await indexSearch(db, { root, embedder, maxFileBytes: MAX_FILE_BYTES });
    }
    const seconds = (performance.now() - t0) / 1000;
    return {
      mode: 'in process, no queue',
      workers: 0,
      seconds: round(seconds),
      requestsPerMinute: round((roots.length / seconds) * 60),
      steps: {},
      loadBefore,
      loadAfter: loadavg(),
    };
  } finally {
    await db.close();
    await admin(`drop database if exists ${name} with (force)`);
  }
}

const roots = repositoryCopies(REQUESTS);
try {
  const results: Array<Awaited<ReturnType<typeof queued>>> = [];
  log(
    `${REQUESTS} full index requests of copies of ${REPO} (src, test, bench, scripts); workers ${WORKERS.join(', ')}`,
  );
  results.push(await inProcess(roots));
  log(`in process: ${results.at(-1)!.seconds} s`);
  for (const w of WORKERS) {
    results.push(await queued(w, roots));
    log(`${w} worker(s): ${results.at(-1)!.seconds} s`);
  }
  const record = {
    revision: revision(),
    node: process.version,
    requests: REQUESTS,
    leaseCheckSeconds: Number(LEASE_CHECK_SECONDS),
    results,
  };
  writeFileSync(join(REPO, 'bench/index/results.json'), `${JSON.stringify(record, null, 2)}\n`);
  const step = (r: (typeof results)[number], q: string) => {
    const s = (r.steps as Record<string, StepFigure>)[q];
    return s ? `${s.meanSeconds} (${s.workers})` : '-';
  };
  process.stdout.write(
    [
      '| mode | wall (s) | requests/min | extract s (workers) | embed s (workers) | finalize s (workers) | load before | load after |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...results.map(
        (r) =>
          `| ${r.mode} | ${r.seconds} | ${r.requestsPerMinute} | ${step(r, 'index.extract')} | ${step(r, 'index.embed')} | ` +
          `${step(r, 'index.finalize')} | ${r.loadBefore.join(' / ')} | ${r.loadAfter.join(' / ')} |`,
      ),
    ]
      .join('\n')
      .concat('\n'),
  );
} finally {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
}
