import { resolve } from 'node:path';
import { type CogoConfig, CogoError, type Logger } from '../core/index.ts';
import {
  type Db,
  DEFAULT_MIGRATIONS_DIR,
  loadMigrations,
  migrate,
  migrationStatus,
  openDb,
} from '../db/index.ts';

/** What every command gets: validated config, a logger, where to write, and a way to open the database. */
export interface CliContext {
  readonly config: CogoConfig;
  readonly logger: Logger;
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly cwd: string;
}

/**
 * Opens the database for a repository and makes sure its schema is current. The embedded database
 * is migrated on the spot; a server database must be migrated explicitly (`cogo db migrate`).
 */
export async function openMigratedDb(ctx: CliContext, repo: string): Promise<Db> {
  const db = await openDb({
    databaseUrl: ctx.config.databaseUrl,
    dataDir: ctx.config.dataDir,
    repoRoot: resolve(ctx.cwd, repo),
  });
  const migrations = loadMigrations(DEFAULT_MIGRATIONS_DIR);
  const modified = (await migrationStatus(db, migrations)).filter(
    (s) => s.state === 'modified' || s.state === 'missing_file',
  );
  if (modified.length > 0) {
    await db.close();
    throw new CogoError(
      'DB_MIGRATION_MODIFIED',
      `applied migrations differ from the files (${modified.map((m) => `${m.id}_${m.name}: ${m.state}`).join(', ')}); ` +
        'roll back with the old files, or for the embedded database delete .cogo/db and index again',
    );
  }
  if (db.dialect === 'pglite') {
    const report = await migrate(db, migrations);
    if (!report.ok) {
      await db.close();
      throw new CogoError(
        'DB_MIGRATION_FAILED',
        `migration failed: ${report.results.find((r) => !r.ok)?.error}`,
      );
    }
    return db;
  }
  const pending = (await migrationStatus(db, migrations)).filter((s) => s.state !== 'applied');
  if (pending.length > 0) {
    await db.close();
    throw new CogoError(
      'DB_SCHEMA_NOT_CURRENT',
      `the database schema is not current (${pending.map((p) => `${p.id}_${p.name}: ${p.state}`).join(', ')}); run: cogo db migrate`,
    );
  }
  return db;
}

export async function withDb<T>(ctx: CliContext, repo: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openMigratedDb(ctx, repo);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
