import { type Logger, pino } from 'pino';

export type { Logger };

export interface LoggerOptions {
  readonly level?: string;
  readonly name?: string;
  /** Where JSON lines go; defaults to stderr so stdout stays free for command output. */
  readonly destination?: NodeJS.WritableStream;
}

/** A pino logger writing structured JSON lines (to stderr by default). */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    { level: options.level ?? 'info', name: options.name ?? 'cogo', base: { pid: process.pid } },
    options.destination ?? pino.destination(2),
  );
}
