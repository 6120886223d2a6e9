/** Helpers the benchmark runners share. */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { createPostgresDb, type Db } from '../src/db/index.ts';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The commit measured (and whether src/ had uncommitted changes), for the record. */
export function revision(): string {
  if (process.env.BENCH_REVISION) return process.env.BENCH_REVISION;
  const git = (args: string[]) => spawnSync('git', ['-C', REPO, ...args], { encoding: 'utf8' });
  const head = git(['rev-parse', '--short', 'HEAD']);
  if (head.status !== 0) return 'unknown';
  const dirty = git(['status', '--porcelain', '--', 'src', 'supabase']).stdout.trim() !== '';
  return `${head.stdout.trim()}${dirty ? ' + uncommitted changes in src/ or supabase/' : ''}`;
}

export const versionOf = (packageJson: string): string =>
  (JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }).version;

/** 1, 5 and 15-minute load averages, rounded to two decimals. */
export const loadavg = (): number[] => os.loadavg().map((x) => Math.round(x * 100) / 100);

/** rxjs's own src/tsconfig.base.json settings (strict, esnext + dom), without its build-only options. */
export const RXJS_TSCONFIG = {
  compilerOptions: {
    strict: true,
    target: 'esnext',
    module: 'esnext',
    moduleResolution: 'node',
    lib: ['esnext', 'dom'],
    types: [],
    noEmit: true,
  },
  include: ['src/**/*.ts'],
};

/**
 * A fresh `cogo_bench_<random>` database on the server `admin` is connected to (`serverUrl`, without a
 * database name), and a Db on it; `drop` closes the Db and drops the database.
 */
export async function freshServerDb(
  admin: pg.Client,
  serverUrl: string,
): Promise<{ db: Db; drop: () => Promise<void> }> {
  const name = `cogo_bench_${randomBytes(6).toString('hex')}`;
  await admin.query(`create database ${name}`);
  const db = await createPostgresDb({ connectionString: `${serverUrl}/${name}` });
  return {
    db,
    drop: async () => {
      await db.close().catch(() => undefined);
      await admin.query(`drop database if exists ${name} with (force)`);
    },
  };
}
