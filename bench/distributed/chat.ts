/**
 * `npm run bench:chat-load`: chat as separate processes on the local Postgres server — one gateway
 * (CHAT_EXECUTION=queue) and 1, 2 or 4 `cogo worker chat` processes — answering through the LLM
 * answerer against the local wire-protocol server (200 ms to first token, then 30 words 5 ms
 * apart). Measures answers per second with 1, 2 and 4 workers at a fixed load, then ramps
 * concurrent sessions on 4 workers until errors appear or p95 time to first token passes 30 s.
 * Time to first token is the client's: from its POST to the first `delta` on the SSE stream.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createPostgresDb } from '../../src/db/index.ts';
import { adminQuery } from '../../test/helpers/databases.ts';
import { applyLocalChatCatalog, citationOfSymbol, contractReply } from '../../test/helpers/llm-replies.ts';
import { startLlmTestServer } from '../../test/helpers/llm-server.ts';
import { askOverHttp, openChatSession, type RoleProcess, startRole } from '../../test/helpers/processes.ts';
import { loadavg, REPO, revision } from '../common.ts';

const run = promisify(execFile);
const MAIN = join(REPO, 'src/cli/main.ts');
const SERVER = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const WORKERS = (process.env.BENCH_WORKERS ?? '1,2,4').split(',').map(Number);
const FIXED_SESSIONS = Number(process.env.BENCH_SESSIONS ?? 8);
const QUESTIONS_PER_SESSION = Number(process.env.BENCH_QUESTIONS ?? 4);
const RAMP = (process.env.BENCH_RAMP ?? '1,4,16,32,64,128').split(',').map(Number);
const WORKER_CONCURRENCY = 2;
const QUESTIONS = [
  'Where is sumAreas defined?',
  'What does sumAreas do?',
  'Who calls sumAreas?',
  'What does run call?',
  'How are the areas of shapes summed?',
];

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! * 10) / 10;
};

interface Load {
  readonly sessions: number;
  readonly answers: number;
  readonly errors: number;
  readonly wallMs: number;
  readonly answersPerSecond: number;
  readonly ttftMs: { p50: number | null; p95: number | null; max: number | null };
  readonly totalMs: { p50: number | null; p95: number | null };
  readonly errorSamples: string[];
}

/** `sessions` clients at once, each asking `questions` in a row in its own session. */
async function load(gateway: string, sessions: number, questions: number): Promise<Load> {
  const ttft: number[] = [];
  const total: number[] = [];
  const errors: string[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: sessions }, async (_, s) => {
      let session: string;
      try {
        session = await openChatSession(gateway);
      } catch (error) {
        errors.push(`session: ${String(error)}`);
        return;
      }
      for (let q = 0; q < questions; q++) {
        const start = performance.now();
        let first: number | undefined;
        try {
          const events = await askOverHttp(gateway, session, QUESTIONS[(s + q) % QUESTIONS.length]!, (e) => {
            if (e.event === 'delta' && first === undefined) first = performance.now() - start;
          });
          const final = events.at(-1);
          const status = (final?.data as { message?: { status?: string } } | undefined)?.message?.status;
          if (final?.event !== 'final' || status !== 'complete')
            throw new Error(`final ${final?.event} ${status}`);
          if (first !== undefined) ttft.push(first);
          total.push(performance.now() - start);
        } catch (error) {
          errors.push(error instanceof Error ? error.message : String(error));
        }
      }
    }),
  );
  const wallMs = performance.now() - t0;
  return {
    sessions,
    answers: total.length,
    errors: errors.length,
    wallMs: Math.round(wallMs),
    answersPerSecond: Math.round((total.length / (wallMs / 1000)) * 100) / 100,
    ttftMs: { p50: pct(ttft, 50), p95: pct(ttft, 95), max: pct(ttft, 100) },
    totalMs: { p50: pct(total, 50), p95: pct(total, 95) },
    errorSamples: [...new Set(errors)].slice(0, 5),
  };
}

async function main(): Promise<void> {
  const started = new Date().toISOString();
  const loadBefore = loadavg();
  const dbName = `cogo_bench_chat_${randomBytes(4).toString('hex')}`;
  await adminQuery(`create database ${dbName}`, SERVER);
  const u = new URL(SERVER);
  u.pathname = `/${dbName}`;
  const databaseUrl = u.toString();
  const work = join(REPO, 'bench/.work/distributed');
  mkdirSync(work, { recursive: true });
  const repo = mkdtempSync(join(work, 'repo-'));
  cpSync(join(REPO, 'test/fixtures/ts-basic'), repo, { recursive: true });
  const llm = await startLlmTestServer();
  const env = {
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'error',
    CHAT_ANSWERER: 'llm',
    CHAT_EXECUTION: 'queue',
    JOBS_LEASE_CHECK_SECONDS: '5',
  };
  const procs: RoleProcess[] = [];
  const results: { workers: Load[]; ramp: Load[] } = { workers: [], ramp: [] };
  try {
    await run(process.execPath, [MAIN, '--repo', repo, 'db', 'migrate'], { env: { ...process.env, ...env } });
    await run(process.execPath, [MAIN, '--repo', repo, 'index'], { env: { ...process.env, ...env } });
    const db = await createPostgresDb({ connectionString: databaseUrl });
    await applyLocalChatCatalog(db, llm.url, ['m1']);
    const citation = await citationOfSymbol(db, 'sumAreas');
    await db.close();
    const words = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    llm.script('m1', [
      {
        reply: '',
        firstTokenDelayMs: 200,
        deltaDelayMs: 5,
        json: contractReply(`\`sumAreas\` is in \`src/util.ts\`: ${words}.`, [citation]),
      },
    ]);
    const gateway = await startRole(['--repo', repo, 'gateway', '--port', '0'], env);
    procs.push(gateway);
    const workers: RoleProcess[] = [];
    for (const n of WORKERS) {
      while (workers.length < n) {
        const w = await startRole(
          ['--repo', repo, 'worker', 'chat', '--port', '0', '--concurrency', String(WORKER_CONCURRENCY)],
          env,
        );
        workers.push(w);
        procs.push(w);
      }
      await load(gateway.url, 2, 1); // warm-up
      const r = await load(gateway.url, FIXED_SESSIONS, QUESTIONS_PER_SESSION);
      process.stdout.write(`${n} worker(s): ${JSON.stringify(r)}\n`);
      results.workers.push({ ...r, workersN: n } as Load);
    }
    for (const sessions of RAMP) {
      const r = await load(gateway.url, sessions, 3);
      process.stdout.write(`ramp ${sessions} sessions on ${workers.length} workers: ${JSON.stringify(r)}\n`);
      results.ramp.push(r);
      if (r.errors > 0 || (r.ttftMs.p95 ?? 0) > 30_000) break;
    }
  } finally {
    for (const p of procs) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await llm.close();
    await adminQuery(`drop database if exists ${dbName} with (force)`, SERVER).catch(() => undefined);
  }
  const out = {
    revision: revision(),
    started,
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    load: { before: loadBefore, after: loadavg() },
    settings: {
      workerConcurrency: WORKER_CONCURRENCY,
      fixedSessions: FIXED_SESSIONS,
      questionsPerSession: QUESTIONS_PER_SESSION,
      provider: '200 ms to first token, 30 words 5 ms apart (local wire-protocol server)',
    },
    ...results,
  };
  const file = process.env.BENCH_OUT ?? 'bench/distributed/results-chat.json';
  writeFileSync(join(REPO, file), `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`wrote ${file}\n`);
}

await main();
