/** db: the `Db` port, its PGlite and Postgres adapters, and the migrator both share. */
import { fileURLToPath } from 'node:url';

export { vectorStorage } from './capabilities.ts';
export type { Db, DbDialect, QueryResult, Row } from './db.ts';
export { DbError, MigrationError } from './errors.ts';
export {
  loadMigrations,
  type Migration,
  type MigrationOutcome,
  type MigrationReport,
  type MigrationStatus,
  migrate,
  migrationStatus,
  rollback,
} from './migrator.ts';
export { type OpenDbOptions, openDb } from './open-db.ts';
export { createPgliteDb, type PgliteDbOptions, pgliteInstanceOf } from './pglite-db.ts';
export { connectionStringOf, createPostgresDb, type PostgresDbOptions } from './postgres-db.ts';
export { dumpSchema } from './schema-dump.ts';

/** `supabase/migrations/` of this package. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../supabase/migrations', import.meta.url));
