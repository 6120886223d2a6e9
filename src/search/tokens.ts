import { identifierParts } from '../core/index.ts';

/**
 * Words of code: identifiers split at camelCase, PascalCase, snake_case, kebab-case and digits,
 * lowercased, next to the identifier itself, so `parseConfigFile` is found by "parse", "config",
 * "file" and "parseconfigfile".
 */

const WORD = /[A-Za-z_$][A-Za-z0-9_$]*|[0-9]+/g;

/** Parts of one identifier: `parseHTTPResponse2` -> parse, http, response, 2. */
export const splitIdentifier = identifierParts;

/** Every word of a text, with each identifier followed by its parts when it has several. */
export function codeTokens(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(WORD)) {
    const word = match[0];
    const lower = word.toLowerCase().replace(/[$_]+/g, '');
    const parts = splitIdentifier(word);
    if (lower.length > 0) out.push(lower);
    if (parts.length > 1) out.push(...parts);
  }
  return out;
}

/** Text for a `simple` tsvector: the code tokens joined by spaces. */
export function codeTokenText(text: string): string {
  return codeTokens(text).join(' ');
}
