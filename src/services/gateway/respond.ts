import type { ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import type { Logger } from '../../core/index.ts';

/** The body of every JSON response: the result, or an error with a stable `code` to branch on. */
export type ApiResponse<T> =
  | { readonly ok: true; readonly result: T }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

// Messages for known codes; anything else gets a message naming only the code, never the error's own text
// (a DbError's message carries the first line of its SQL).
export const SAFE_MESSAGES: Readonly<Record<string, string>> = {
  DB_QUERY_FAILED: 'A database query failed.',
  DB_UNAVAILABLE: 'The database is unavailable.',
};
const INTERNAL_MESSAGE = 'Internal server error.';
// A code worth passing on looks like CogoError's (`DB_QUERY_FAILED`), not a SQLSTATE or free text.
const CODE_PATTERN = /^[A-Z][A-Z0-9_]{1,63}$/;

export function fail(code: string, message: string): ApiResponse<never> {
  return { ok: false, error: { code, message } };
}

/** One line naming each bad parameter or field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      if (issue.code === 'unrecognized_keys') return `unknown parameter(s): ${issue.keys.join(', ')}`;
      const name = issue.path.length > 0 ? issue.path.map(String).join('.') : 'query';
      return `${name}: ${issue.message}`;
    })
    .join('; ');
}

function knownCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = error.code;
  return typeof code === 'string' && CODE_PATTERN.test(code) ? code : undefined;
}

/**
 * The one error handler: client errors (HTTPException < 500) as 400-class `INVALID_REQUEST` (or the
 * exception's own code), everything else as 500 with the error's `code` and a safe message; the
 * details go to `logger` only.
 */
export function errorHandler(logger: Logger | undefined): ErrorHandler {
  return (error, c) => {
    if (error instanceof HTTPException && error.status < 500) {
      const code = (error.cause as { code?: string } | undefined)?.code ?? 'INVALID_REQUEST';
      return c.json(fail(code, error.message || 'Bad request.'), error.status as ContentfulStatusCode);
    }
    const code = knownCode(error);
    logger?.error(
      { err: error, method: c.req.method, path: c.req.path, code: code ?? 'INTERNAL' },
      'request failed',
    );
    if (code) return c.json(fail(code, SAFE_MESSAGES[code] ?? `The request failed (${code}).`), 500);
    return c.json(fail('INTERNAL', INTERNAL_MESSAGE), 500);
  };
}
