/** Every error cogo raises carries a stable string `code`; callers branch on it, never on message text. */
export class CogoError extends Error {
  readonly code: string;
  readonly isRetryable: boolean;

  constructor(code: string, message: string, options: { cause?: unknown; isRetryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CogoError';
    this.code = code;
    this.isRetryable = options.isRetryable ?? false;
  }
}

/** Raised by `loadConfig` when one or more environment variables are malformed. */
export class ConfigError extends CogoError {
  readonly issues: readonly string[];

  constructor(issues: readonly string[]) {
    super('CONFIG_INVALID', `Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Message of an unknown thrown value, for reports and logs. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
