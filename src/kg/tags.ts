import picomatch from 'picomatch';
import { identifierParts } from '../core/index.ts';

/**
 * The `metadata.tags` standard (docs/specs/TAGS_V1.md), one function for graph objects and search
 * chunks alike, so a filter on tags means the same thing everywhere.
 */
export interface TagSubject {
  readonly language: string;
  /** Object kind (`function`, `class`, ...) or `doc` for documentation chunks. */
  readonly kind: string;
  /** Repo-relative path; null for external modules. */
  readonly path: string | null;
  /** Bare symbol name (a heading for docs); its identifier parts become `name:` tags. */
  readonly name?: string | undefined;
  readonly exported?: boolean | undefined;
  readonly async?: boolean | undefined;
  readonly abstract?: boolean | undefined;
  readonly static?: boolean | undefined;
  readonly deprecated?: boolean | undefined;
  readonly external?: boolean | undefined;
}

export const TAG_ROLES = ['source', 'test', 'doc', 'external'] as const;

const isTestPath = picomatch(
  ['**/*.test.*', '**/*.spec.*', '**/test/**', '**/tests/**', '**/__tests__/**', 'test/**', 'tests/**'],
  {
    dot: true,
  },
);

function nameParts(name: string): string[] {
  return identifierParts(name).filter((p) => p.length > 1);
}

/** Tags in a fixed order: lang, kind, role, flags, path segments, name parts (deduplicated). */
export function standardTags(s: TagSubject): string[] {
  const role = s.external
    ? 'external'
    : s.kind === 'doc'
      ? 'doc'
      : s.path !== null && isTestPath(s.path)
        ? 'test'
        : 'source';
  const tags = [`lang:${s.language}`, `kind:${s.kind}`, `role:${role}`];
  for (const flag of ['exported', 'async', 'abstract', 'static', 'deprecated', 'external'] as const) {
    if (s[flag]) tags.push(flag);
  }
  if (s.path !== null) for (const segment of s.path.split('/').slice(0, -1)) tags.push(`path:${segment}`);
  if (s.name) for (const part of nameParts(s.name)) tags.push(`name:${part}`);
  return [...new Set(tags)];
}
