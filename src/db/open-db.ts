import { join } from 'node:path';
import type { Db } from './db.ts';
import { createPgliteDb } from './pglite-db.ts';
import { createPostgresDb } from './postgres-db.ts';

export interface OpenDbOptions {
  /** A Postgres server URL; when absent the embedded database is used. */
  readonly databaseUrl?: string | undefined;
  /** Embedded database directory; defaults to `<repoRoot>/.cogo/db`. */
  readonly dataDir?: string | undefined;
  readonly repoRoot: string;
}

/** Opens the database a process should use: the server at `databaseUrl`, else PGlite under `.cogo/`. */
export async function openDb(options: OpenDbOptions): Promise<Db> {
  if (options.databaseUrl) return createPostgresDb({ connectionString: options.databaseUrl });
  return createPgliteDb({ dataDir: options.dataDir ?? join(options.repoRoot, '.cogo', 'db') });
}
