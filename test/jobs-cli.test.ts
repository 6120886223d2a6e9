// `cogo jobs redrive --reason X` and `cogo jobs counts` as a user runs them: a separate process on
// the server database that worker processes share.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineMessageType } from '../src/core/index.ts';
import { createPgliteDb, DEFAULT_MIGRATIONS_DIR, loadMigrations, migrate } from '../src/db/index.ts';
import { createJobs, defineJob, JobFailure, type Jobs } from '../src/jobs/index.ts';
import { createMetricsApp } from '../src/services/metrics/index.ts';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';

const run = promisify(execFile);
const MAIN = new URL('../src/cli/main.ts', import.meta.url).pathname;

const job = defineJob(defineMessageType({ type: 'test.cli', payload: z.strictObject({ n: z.number() }) }));

describe('cogo jobs on a server database', () => {
  let t: TestDatabase;
  let jobs: Jobs;
  const ids: Record<string, string> = {};

  const cogo = async (args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], {
        env: { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: t.url! },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  beforeAll(async () => {
    t = await createMigratedDatabase('postgres', 'jobs_cli');
    jobs = await createJobs({ db: t.db });
    await jobs.register(job);
    for (const [n, reason] of [
      [1, 'PARSE_ERROR'],
      [2, 'PARSE_ERROR'],
      [3, 'INVALID_INPUT'],
    ] as const) {
      ids[n] = (
        await jobs.enqueue(job, {
          source: 'test',
          target: 'worker.test',
          payload: { n },
          idempotencyKey: `k${n}`,
        })
      ).jobId;
      await jobs.runOne(
        job,
        async () => {
          throw new JobFailure(reason, reason);
        },
        'w',
      );
    }
  });
  afterAll(async () => {
    await jobs?.stop();
    await t?.dispose();
  });

  it('redrives only the dead jobs with the reason asked for', async () => {
    const result = await cogo(['jobs', 'redrive', '--reason', 'PARSE_ERROR', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { redriven: string[] }).redriven.sort()).toEqual(
      [ids[1], ids[2]].sort(),
    );
    expect((await jobs.get(ids[1]!))?.state).toBe('queued');
    expect((await jobs.get(ids[3]!))?.state).toBe('dead');
    expect(await jobs.runOne(job, async () => undefined, 'w')).toBe(true);
  });

  it('lists the dead-letter queue, filtered by reason', async () => {
    const result = await cogo(['jobs', 'dead', '--reason', 'INVALID_INPUT', '--json']);
    expect(result.code).toBe(0);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({ id: ids[3], queue: 'test.cli', reason: 'INVALID_INPUT', attempt: 1 }),
    ]);
  });

  it('refuses a reason that is not a DLQ reason code', async () => {
    const result = await cogo(['jobs', 'redrive', '--reason', 'OOPS']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/must be one of PARSE_ERROR/);
  });

  it('prints the durable counters', async () => {
    const result = await cogo(['jobs', 'counts', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ claims: 4, conflicts: 0, retries: 0, dlq: 3 });
  });

  it('reports the same counters in /api/metrics/summary, for the window asked', async () => {
    const app = createMetricsApp({ db: t.db });
    const summary = async (query: string) =>
      ((await (await app.request(`/api/metrics/summary${query}`)).json()) as { result: { jobs: unknown } })
        .result.jobs;
    expect(await summary('')).toEqual({ claims: 4, conflicts: 0, retries: 0, dlq: 3 });
    expect(await summary('?from=2020-01-01&to=2020-01-02')).toEqual({
      claims: 0,
      conflicts: 0,
      retries: 0,
      dlq: 0,
    });
  });
});

describe('cogo jobs redrive on the embedded database', () => {
  it('redrives from a fresh process that shares nothing with the one that dead-lettered the job', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'cogo-jobs-cli-')), 'db');
    let db = await createPgliteDb({ dataDir });
    expect((await migrate(db, loadMigrations(DEFAULT_MIGRATIONS_DIR))).ok).toBe(true);
    let jobs = await createJobs({ db });
    await jobs.register(job);
    const { jobId } = await jobs.enqueue(job, {
      source: 'test',
      target: 'worker.test',
      payload: { n: 1 },
      idempotencyKey: 'e1',
    });
    await jobs.runOne(
      job,
      async () => {
        throw new JobFailure('TIMEOUT', 'too slow');
      },
      'w',
    );
    await jobs.stop();
    await db.close();

    const { stdout } = await run(
      process.execPath,
      [MAIN, 'jobs', 'redrive', '--reason', 'TIMEOUT', '--json'],
      {
        env: { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: '', COGO_DATA_DIR: dataDir },
      },
    );
    expect(JSON.parse(stdout)).toEqual({ redriven: [jobId] });

    db = await createPgliteDb({ dataDir });
    jobs = await createJobs({ db });
    try {
      await jobs.register(job);
      expect((await jobs.get(jobId))?.state).toBe('queued');
      expect(await jobs.runOne(job, async () => undefined, 'w')).toBe(true);
      expect((await jobs.get(jobId))?.state).toBe('succeeded');
    } finally {
      await jobs.stop();
      await db.close();
    }
  });
});
