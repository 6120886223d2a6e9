import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DbError,
  DEFAULT_MIGRATIONS_DIR,
  loadMigrations,
  MigrationError,
  migrate,
  migrationStatus,
  rollback,
  vectorStorage,
} from '../src/db/index.ts';
import { ADAPTERS, createTestDatabase, type TestDatabase } from './helpers/databases.ts';

const migrations = loadMigrations(DEFAULT_MIGRATIONS_DIR);

describe.each(ADAPTERS)('storage on %s', (adapter) => {
  let t: TestDatabase;
  let failed = false;

  beforeAll(async () => {
    t = await createTestDatabase(adapter, 'storage');
  });
  afterAll(async () => {
    await t?.dispose(failed);
  });

  function track<T>(p: Promise<T>): Promise<T> {
    return p.catch((e) => {
      failed = true;
      throw e;
    });
  }

  it('applies every migration and reports them applied', async () => {
    const report = await track(migrate(t.db, migrations));
    expect(report.ok).toBe(true);
    expect(report.results.map((r) => r.id)).toEqual(migrations.map((m) => m.id));
    const status = await migrationStatus(t.db, migrations);
    expect(status.every((s) => s.state === 'applied')).toBe(true);
  });

  it('does nothing when migrated again', async () => {
    const report = await migrate(t.db, migrations);
    expect(report).toEqual({ ok: true, results: [] });
  });

  it('applies concurrent migrate calls exactly once', async () => {
    await rollback(t.db, migrations, migrations.length);
    const reports = await Promise.all([migrate(t.db, migrations), migrate(t.db, migrations)]);
    const appliedIds = reports.flatMap((r) => r.results.filter((x) => x.ok).map((x) => x.id)).sort();
    expect(appliedIds).toEqual(migrations.map((m) => m.id).sort());
    expect(reports.every((r) => r.ok)).toBe(true);
  });

  it('stores vectors as pgvector where available and real[] where not', async () => {
    const storage = await vectorStorage(t.db);
    const { rows } = await t.db.query<{ n: number }>(
      "select count(*)::int as n from pg_available_extensions where name = 'vector'",
    );
    expect(storage).toBe(rows[0]!.n > 0 ? 'vector' : 'real[]');
    const literal = storage === 'vector' ? "'[1,0,0]'::vector" : 'array[1,0,0]::real[]';
    await t.db.query(
      `insert into cbo_embeddings (owner_id, model, dim, embedding) values ('o1', 'm', 3, ${literal})`,
    );
    const back = await t.db.query<{ dim: number }>('select dim from cbo_embeddings where owner_id = $1', [
      'o1',
    ]);
    expect(back.rows).toEqual([{ dim: 3 }]);
  });

  it('finds names by trigram similarity', async () => {
    await t.db.query(
      `insert into cbo_objects (id, kind, name, qualified_name, file_path, language, start_line, end_line)
       values ('a', 'function', 'loadConfig', 'loadConfig', 'src/a.ts', 'ts', 1, 2)`,
    );
    const { rows } = await t.db.query<{ name: string }>('select name from cbo_objects where name % $1', [
      'loadConfg',
    ]);
    expect(rows.map((r) => r.name)).toEqual(['loadConfig']);
  });

  it('rolls a transaction back when its function throws', async () => {
    await expect(
      t.db.transaction(async (tx) => {
        await tx.query(`insert into kg_meta (key, value) values ('k', '1')`);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const { rows } = await t.db.query("select * from kg_meta where key = 'k'");
    expect(rows).toEqual([]);
  });

  it('reports a failed statement with its SQLSTATE', async () => {
    const error = await t.db.query('select * from no_such_table').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DbError);
    expect((error as DbError).sqlState).toBe('42P01');
    expect((error as DbError).code).toBe('DB_QUERY_FAILED');
  });

  it('rolls back with down files and leaves the schema empty', async () => {
    const report = await rollback(t.db, migrations, migrations.length);
    expect(report.ok).toBe(true);
    expect(report.results.map((r) => r.id)).toEqual(migrations.map((m) => m.id).reverse());
    const { rows } = await t.db.query<{ n: number }>(
      "select count(*)::int as n from pg_tables where schemaname = 'public' and tablename <> 'cogo_migrations'",
    );
    expect(rows[0]!.n).toBe(0);
    expect((await migrationStatus(t.db, migrations)).every((s) => s.state === 'pending')).toBe(true);
  });

  it('stops at a failing migration and keeps the ones before it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cogo-mig-'));
    mkdirSync(join(dir, 'down'));
    writeFileSync(join(dir, '00001_ok.sql'), 'create table t_ok (id int);');
    writeFileSync(join(dir, 'down', '00001_ok.sql'), 'drop table t_ok;');
    writeFileSync(join(dir, '00002_bad.sql'), 'create table t_bad (id int); select * from missing_table;');
    writeFileSync(join(dir, 'down', '00002_bad.sql'), 'drop table t_bad;');
    const set = loadMigrations(dir);
    const scratch = await createTestDatabase(adapter, 'storage_fail');
    try {
      const report = await migrate(scratch.db, set);
      expect(report.ok).toBe(false);
      expect(report.results.map((r) => [r.id, r.ok])).toEqual([
        [1, true],
        [2, false],
      ]);
      expect(report.results[1]!.error).toMatch(/missing_table/);
      const tables = await scratch.db.query<{ tablename: string }>(
        "select tablename from pg_tables where schemaname = 'public' order by 1",
      );
      expect(tables.rows.map((r) => r.tablename)).toEqual(['cogo_migrations', 't_ok']);
      writeFileSync(join(dir, '00001_ok.sql'), 'create table t_ok (id int, edited int);');
      const status = await migrationStatus(scratch.db, loadMigrations(dir));
      expect(status.map((s) => s.state)).toEqual(['modified', 'pending']);
    } finally {
      await scratch.dispose();
    }
  });
});

describe('migration files', () => {
  it('refuses a migration without a down file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cogo-mig-'));
    writeFileSync(join(dir, '00001_x.sql'), 'select 1;');
    expect(() => loadMigrations(dir)).toThrow(MigrationError);
  });

  it('refuses two migrations with one number', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cogo-mig-'));
    mkdirSync(join(dir, 'down'));
    for (const f of ['00001_a.sql', '0001_b.sql']) {
      writeFileSync(join(dir, f), 'select 1;');
      writeFileSync(join(dir, 'down', f), 'select 1;');
    }
    expect(() => loadMigrations(dir)).toThrow(/share the number 1/);
  });
});
