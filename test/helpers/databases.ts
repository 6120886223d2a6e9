import { randomBytes } from 'node:crypto';
import pg from 'pg';
import {
  createPgliteDb,
  createPostgresDb,
  type Db,
  DEFAULT_MIGRATIONS_DIR,
  loadMigrations,
  migrate,
} from '../../src/db/index.ts';

/** The Postgres server used for server-mode tests; each test file gets its own database on it. */
export const TEST_SERVER_URL =
  process.env.COGO_TEST_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly name: string;
  readonly db: Db;
  readonly url: string | undefined;
  /** Closes the connection; drops the server database unless `keep` (leave it for inspection). */
  dispose(keep?: boolean): Promise<void>;
}

export const ADAPTERS = ['pglite', 'postgres'] as const;
export type AdapterName = (typeof ADAPTERS)[number];

/** Runs one statement on the server's maintenance database (create/drop database). */
export async function adminQuery(sql: string, serverUrl = TEST_SERVER_URL): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh, empty database: in-memory PGlite, or a new database on the test server. */
export async function createTestDatabase(adapter: AdapterName, label = 'test'): Promise<TestDatabase> {
  if (adapter === 'pglite') {
    const db = await createPgliteDb();
    return { name: 'pglite:memory', db, url: undefined, dispose: () => db.close() };
  }
  const name = `cogo_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  const db = await createPostgresDb({ connectionString: url.toString() });
  return {
    name,
    db,
    url: url.toString(),
    async dispose(keep = false) {
      await db.close();
      if (!keep) await adminQuery(`drop database if exists ${name} with (force)`);
    },
  };
}

/** A fresh database with cogo's migrations applied. */
export async function createMigratedDatabase(adapter: AdapterName, label = 'test'): Promise<TestDatabase> {
  const t = await createTestDatabase(adapter, label);
  const report = await migrate(t.db, loadMigrations(DEFAULT_MIGRATIONS_DIR));
  if (!report.ok) throw new Error(`migrations failed: ${JSON.stringify(report.results)}`);
  return t;
}
