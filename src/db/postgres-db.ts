import pg from 'pg';
import type { Db, QueryResult, Row } from './db.ts';
import { toDbError } from './errors.ts';
import { createListener, type Listener } from './listener.ts';

type Queryable = pg.Pool | pg.PoolClient;

// The connection string behind each top-level handle, for libraries that open a pool of their own
// (pg-boss holds a LISTEN connection and its own transactions).
const connectionStrings = new WeakMap<Db, string>();

class PostgresDb implements Db {
  readonly dialect = 'postgres' as const;
  readonly #conn: Queryable;
  readonly #pool: pg.Pool | undefined;
  readonly #listener: Listener | undefined;

  constructor(conn: Queryable, pool: pg.Pool | undefined, listener?: Listener) {
    this.#conn = conn;
    this.#pool = pool;
    this.#listener = listener;
  }

  async query<R = Row>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<R>> {
    try {
      const result = await this.#conn.query(sql, params as unknown[]);
      return { rows: result.rows as R[], rowCount: result.rowCount ?? result.rows.length };
    } catch (error) {
      throw toDbError(error, sql);
    }
  }

  async exec(sql: string): Promise<void> {
    try {
      // Without parameters, node-postgres uses the simple protocol, which accepts several statements.
      await this.#conn.query(sql);
    } catch (error) {
      throw toDbError(error, sql);
    }
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (!this.#pool) throw new Error('nested transactions are not supported');
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(new PostgresDb(client, undefined));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  listen(
    channel: string,
    onPayload: (payload: string) => void,
    onGap?: () => void,
  ): Promise<() => Promise<void>> {
    if (!this.#listener) throw new Error('listen is not available inside a transaction');
    return this.#listener.listen(channel, onPayload, onGap);
  }

  async close(): Promise<void> {
    await this.#listener?.close();
    await this.#pool?.end();
  }
}

export interface PostgresDbOptions {
  readonly connectionString: string;
  readonly maxConnections?: number;
}

/** Connects to a Postgres server (a pool); fails fast if the server cannot be reached. */
export async function createPostgresDb(options: PostgresDbOptions): Promise<Db> {
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.maxConnections ?? 5 });
  // An idle client that loses its connection emits 'error' on the pool; without a listener Node exits.
  pool.on('error', () => undefined);
  const db = new PostgresDb(pool, pool, createListener(options.connectionString));
  await db.query('select 1');
  connectionStrings.set(db, options.connectionString);
  return db;
}

/**
 * The connection string a `Db` from `createPostgresDb` was opened with, or undefined for any other
 * `Db`. For adapters of libraries that must open their own pool (pg-boss).
 */
export function connectionStringOf(db: Db): string | undefined {
  return connectionStrings.get(db);
}
