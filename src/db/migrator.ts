import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../core/index.ts';
import type { Db } from './db.ts';
import { MigrationError } from './errors.ts';

/** One numbered migration: `NNNNN_name.sql` beside its rollback `down/NNNNN_name.sql`. */
export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly up: string;
  readonly down: string;
  /** SHA-256 of the up file, recorded when applied, so an edited applied migration is noticed. */
  readonly checksum: string;
}

export interface MigrationOutcome {
  readonly id: number;
  readonly name: string;
  readonly ok: boolean;
  readonly error?: string;
}

/** What a migrate or rollback run did: each step in order; it stops at the first failure. */
export interface MigrationReport {
  readonly results: readonly MigrationOutcome[];
  readonly ok: boolean;
}

export const MIGRATION_STATES = ['applied', 'pending', 'modified', 'missing_file'] as const;
export type MigrationState = (typeof MIGRATION_STATES)[number];

export interface MigrationStatus {
  readonly id: number;
  readonly name: string;
  readonly state: MigrationState;
  readonly appliedAt: Date | undefined;
}

// Arbitrary but fixed: every cogo process takes this lock before touching the schema.
const MIGRATION_LOCK_KEY = 724_613_001;
const FILE_PATTERN = /^(\d+)_([a-z0-9_]+)\.sql$/;

const CREATE_TABLE = `create table if not exists cogo_migrations (
  id integer primary key,
  name text not null,
  checksum text not null,
  applied_at timestamptz not null default now()
)`;

/** Reads and checks the migration files in `dir` (ids unique, every up file has a down file). */
export function loadMigrations(dir: string): Migration[] {
  const migrations: Migration[] = [];
  const seen = new Map<number, string>();
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const match = FILE_PATTERN.exec(file);
    if (!match) throw new MigrationError(`migration file name ${file} does not match NNNNN_name.sql`);
    const id = Number(match[1]);
    const other = seen.get(id);
    if (other) throw new MigrationError(`migrations ${other} and ${file} share the number ${id}`);
    seen.set(id, file);
    const up = readFileSync(join(dir, file), 'utf8');
    let down: string;
    try {
      down = readFileSync(join(dir, 'down', file), 'utf8');
    } catch (cause) {
      throw new MigrationError(`migration ${file} has no down file at down/${file}`, { cause });
    }
    migrations.push({ id, name: match[2]!, up, down, checksum: sha256Hex(up) });
  }
  return migrations.sort((a, b) => a.id - b.id);
}

async function lockAndReadApplied(tx: Db): Promise<Map<number, { checksum: string; appliedAt: Date }>> {
  await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
  await tx.exec(CREATE_TABLE);
  const { rows } = await tx.query<{ id: number; checksum: string; applied_at: Date }>(
    'select id, checksum, applied_at from cogo_migrations order by id',
  );
  return new Map(rows.map((r) => [r.id, { checksum: r.checksum, appliedAt: r.applied_at }]));
}

/**
 * Applies every pending migration up to `to` (default: all), each in its own transaction under
 * an advisory lock, so concurrent processes apply each migration exactly once.
 */
export async function migrate(
  db: Db,
  migrations: readonly Migration[],
  to = Number.POSITIVE_INFINITY,
): Promise<MigrationReport> {
  const results: MigrationOutcome[] = [];
  for (const m of migrations) {
    if (m.id > to) break;
    try {
      const applied = await db.transaction(async (tx) => {
        const done = await lockAndReadApplied(tx);
        if (done.has(m.id)) return false;
        await tx.exec(m.up);
        await tx.query('insert into cogo_migrations (id, name, checksum) values ($1, $2, $3)', [
          m.id,
          m.name,
          m.checksum,
        ]);
        return true;
      });
      if (applied) results.push({ id: m.id, name: m.name, ok: true });
    } catch (error) {
      results.push({
        id: m.id,
        name: m.name,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      });
      return { results, ok: false };
    }
  }
  return { results, ok: true };
}

/** Rolls back the last `steps` applied migrations with their down files, newest first. */
export async function rollback(
  db: Db,
  migrations: readonly Migration[],
  steps = 1,
): Promise<MigrationReport> {
  const byId = new Map(migrations.map((m) => [m.id, m]));
  const results: MigrationOutcome[] = [];
  for (let i = 0; i < steps; i++) {
    let outcome: MigrationOutcome | undefined;
    try {
      outcome = await db.transaction(async (tx) => {
        const done = await lockAndReadApplied(tx);
        const last = [...done.keys()].sort((a, b) => b - a)[0];
        if (last === undefined) return undefined;
        const m = byId.get(last);
        if (!m)
          throw new MigrationError(`applied migration ${last} has no file, so it cannot be rolled back`);
        await tx.exec(m.down);
        await tx.query('delete from cogo_migrations where id = $1', [m.id]);
        return { id: m.id, name: m.name, ok: true };
      });
    } catch (error) {
      results.push({
        id: -1,
        name: '?',
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      });
      return { results, ok: false };
    }
    if (!outcome) break;
    results.push(outcome);
  }
  return { results, ok: true };
}

/** Each migration's state: applied, pending, modified since applied, or applied but its file is gone. */
export async function migrationStatus(db: Db, migrations: readonly Migration[]): Promise<MigrationStatus[]> {
  await db.exec(CREATE_TABLE);
  const { rows } = await db.query<{ id: number; name: string; checksum: string; applied_at: Date }>(
    'select id, name, checksum, applied_at from cogo_migrations order by id',
  );
  const applied = new Map(rows.map((r) => [r.id, r]));
  const status: MigrationStatus[] = migrations.map((m) => {
    const row = applied.get(m.id);
    if (!row) return { id: m.id, name: m.name, state: 'pending', appliedAt: undefined };
    const state = row.checksum === m.checksum ? 'applied' : 'modified';
    return { id: m.id, name: m.name, state, appliedAt: row.applied_at };
  });
  const known = new Set(migrations.map((m) => m.id));
  for (const row of rows) {
    if (!known.has(row.id))
      status.push({ id: row.id, name: row.name, state: 'missing_file', appliedAt: row.applied_at });
  }
  return status.sort((a, b) => a.id - b.id);
}
