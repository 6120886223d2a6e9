import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { vector } from '@electric-sql/pglite-pgvector';
import type { Db, QueryResult, Row } from './db.ts';
import { toDbError } from './errors.ts';
import { checkChannel } from './listener.ts';

type Queryable = Pick<PGlite, 'query' | 'exec'> | Transaction;

// The PGlite instance behind each top-level handle, for the few libraries that must drive it
// themselves (pg-boss's `fromPglite`). A WeakMap keeps the instance off the `Db` port.
const instances = new WeakMap<Db, PGlite>();

class PgliteDb implements Db {
  readonly dialect = 'pglite' as const;
  readonly #conn: Queryable;
  readonly #owner: PGlite | undefined;

  constructor(conn: Queryable, owner: PGlite | undefined) {
    this.#conn = conn;
    this.#owner = owner;
  }

  async query<R = Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
    try {
      const result = await this.#conn.query<R>(sql, params as unknown[]);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    } catch (error) {
      throw toDbError(error, sql);
    }
  }

  async exec(sql: string): Promise<void> {
    try {
      await this.#conn.exec(sql);
    } catch (error) {
      throw toDbError(error, sql);
    }
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (!this.#owner) throw new Error('nested transactions are not supported');
    return this.#owner.transaction((tx) => fn(new PgliteDb(tx, undefined)));
  }

  async listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>> {
    if (!this.#owner) throw new Error('listen is not available inside a transaction');
    const unlisten = await this.#owner.listen(checkChannel(channel), onPayload);
    return async () => {
      await unlisten();
    };
  }

  async close(): Promise<void> {
    await this.#owner?.close();
  }
}

export interface PgliteDbOptions {
  /** Directory for the database files; omitted means in memory. */
  readonly dataDir?: string;
}

/**
 * Opens an embedded PGlite database with the pgvector and pg_trgm extensions loaded.
 * Opening costs 1-4 s, so a process should open one and share it.
 */
export async function createPgliteDb(options: PgliteDbOptions = {}): Promise<Db> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const pg = await PGlite.create(options.dataDir, { extensions: { vector, pg_trgm } });
  const db = new PgliteDb(pg, pg);
  instances.set(db, pg);
  return db;
}

/**
 * The PGlite instance behind a `Db` from `createPgliteDb`, or undefined for any other `Db` (a
 * server pool, a transaction handle). Only adapters of libraries that need the instance itself
 * (pg-boss) call it; everything else uses the port.
 */
export function pgliteInstanceOf(db: Db): PGlite | undefined {
  return instances.get(db);
}
