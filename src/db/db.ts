/** A row returned by a query: column name to value. */
export type Row = Record<string, unknown>;

export interface QueryResult<R = Row> {
  readonly rows: R[];
  readonly rowCount: number;
}

export const DB_DIALECTS = ['pglite', 'postgres'] as const;
export type DbDialect = (typeof DB_DIALECTS)[number];

/**
 * The storage port. Two adapters implement it: PGlite in-process (embedded mode) and a Postgres
 * server (distributed mode). Queries are plain Postgres SQL with `$n` parameters and run on both.
 */
export interface Db {
  readonly dialect: DbDialect;
  /** Runs one statement with parameters. */
  query<R = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Runs a script of one or more statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Runs `fn` in a transaction on one connection; commits if it resolves, rolls back if it throws. */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /**
   * Receives `NOTIFY` payloads on a channel (`[a-z_][a-z0-9_]*`, at most 63 characters) until the
   * returned function is called. On a server, one connection per `Db` carries every channel; when
   * it is lost, `onGap` is called (payloads sent meanwhile are lost: read the tables to catch up)
   * and it reconnects and listens again. Not available on a transaction handle.
   */
  listen(
    channel: string,
    onPayload: (payload: string) => void,
    onGap?: () => void,
  ): Promise<() => Promise<void>>;
  /** Releases the connection or the embedded database. */
  close(): Promise<void>;
}
