// Upper-case runs (acronyms) not followed by lower case, capitalized or lower-case words, digit runs,
// and letters of scripts without case (CJK and the like).
const SUB_TOKEN = /\p{Lu}+(?!\p{Ll})|\p{Lu}?\p{Ll}+|\p{N}+|[\p{Lo}\p{Lt}\p{Lm}\p{M}]+/gu;

/**
 * Lowercased parts of an identifier, split at camelCase, PascalCase, acronyms, snake_case,
 * kebab-case and digits: `parseHTTPHeader_v2` -> parse, http, header, v, 2. One splitter for tags,
 * keyword vectors and the local embedder, so they agree on what a word of code is.
 */
export function identifierParts(identifier: string): string[] {
  return Array.from(identifier.matchAll(SUB_TOKEN), (m) => m[0].toLowerCase());
}
