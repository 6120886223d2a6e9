import { CogoError } from '../core/index.ts';

// SQLSTATEs worth retrying: serialization/deadlock, connection loss, server shutdown, too many clients.
const RETRYABLE_SQLSTATES = new Set([
  '40001',
  '40P01',
  '08000',
  '08003',
  '08006',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/** A failed statement, with the SQLSTATE when the database gave one. */
export class DbError extends CogoError {
  readonly sqlState: string | undefined;

  constructor(message: string, options: { cause?: unknown; sqlState?: string | undefined }) {
    super('DB_QUERY_FAILED', message, {
      cause: options.cause,
      isRetryable: options.sqlState !== undefined && RETRYABLE_SQLSTATES.has(options.sqlState),
    });
    this.name = 'DbError';
    this.sqlState = options.sqlState;
  }
}

/** Wraps a driver error, keeping its SQLSTATE and the first line of the statement for context. */
export function toDbError(error: unknown, sql: string): DbError {
  const sqlState =
    typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
      ? error.code
      : undefined;
  const message = error instanceof Error ? error.message : String(error);
  const head = sql.trim().split('\n')[0]?.slice(0, 120) ?? '';
  return new DbError(`${message} (in: ${head})`, { cause: error, sqlState });
}

/** A migration file set that cannot be applied as it stands. */
export class MigrationError extends CogoError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('DB_MIGRATION_FAILED', message, options);
    this.name = 'MigrationError';
  }
}
