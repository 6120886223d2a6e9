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

/**
 * The messages down an error's cause chain, each after its code, joined by ': '. undici says only
 * "fetch failed" or "terminated" and keeps why (ECONNREFUSED, ENOTFOUND ...) in its causes.
 */
export function describeCauseChain(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    parts.push(typeof code === 'string' ? `${code} ${current.message}` : current.message);
    current = current.cause;
  }
  return parts.length > 0 ? parts.join(': ') : String(error);
}

/** Milliseconds from an HTTP Retry-After value: delay-seconds or an HTTP date; undefined if absent or malformed. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * Milliseconds a response asks us to wait: OpenAI's `retry-after-ms`, else `Retry-After` as seconds
 * or an HTTP date. Undefined when absent or unreadable.
 */
export function parseRetryAfterMs(
  headers: Headers | undefined,
  now: number = Date.now(),
): number | undefined {
  const millis = headers?.get('retry-after-ms')?.trim();
  if (millis && /^\d+(?:\.\d+)?$/.test(millis)) return Number(millis);
  return parseRetryAfter(headers?.get('retry-after'), now);
}
