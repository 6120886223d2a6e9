import { createHash } from 'node:crypto';

/** Hex SHA-256 of a string or buffer. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * A stable id: the first 32 hex digits of SHA-256 over the parts joined by NUL.
 * NUL cannot occur in paths or identifiers, so distinct part lists never collide by concatenation.
 */
export function stableId(...parts: readonly string[]): string {
  return sha256Hex(parts.join('\u0000')).slice(0, 32);
}
