import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import picomatch from 'picomatch';
import { z } from 'zod';
import { CogoError } from '../core/index.ts';

/** Source in; tests, samples, legacy, backups, generated code, dependencies and build output out (KG_SCOPE_V1). */
export const DEFAULT_SCOPE = {
  include: ['**/*.ts', '**/*.tsx', '**/*.mts', '**/*.cts'],
  exclude: [
    '**/node_modules/**',
    '**/.git/**',
    '**/.cogo/**',
    '**/dist/**',
    '**/build/**',
    '**/out/**',
    '**/coverage/**',
    '**/test/**',
    '**/tests/**',
    '**/__tests__/**',
    '**/__mocks__/**',
    '**/*.test.*',
    '**/*.spec.*',
    '**/fixtures/**',
    '**/sample/**',
    '**/samples/**',
    '**/examples/**',
    '**/legacy/**',
    '**/backup/**',
    '**/backups/**',
    '**/*.bak',
    '**/*.orig',
    '**/generated/**',
    '**/__generated__/**',
    '**/*.generated.*',
    '**/*.gen.ts',
  ],
} as const;

export const CONFIG_FILE_NAME = 'cogo.config.json';

const configFileSchema = z
  .object({
    scope: z
      .object({
        /** Replaces the default include globs. */
        include: z.array(z.string().min(1)).optional(),
        /** Added to the default exclude globs (or replacing them with `defaultExcludes: false`). */
        exclude: z.array(z.string().min(1)).optional(),
        defaultExcludes: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export interface Scope {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
}

/** Raised when `cogo.config.json` exists but is not valid. */
export class ScopeConfigError extends CogoError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('KG_SCOPE_CONFIG_INVALID', message, options);
    this.name = 'ScopeConfigError';
  }
}

/** The scope for a repository: defaults, changed by `cogo.config.json` at its root when present. */
export function loadScope(repoRoot: string): Scope {
  const file = join(repoRoot, CONFIG_FILE_NAME);
  if (!existsSync(file)) return { include: [...DEFAULT_SCOPE.include], exclude: [...DEFAULT_SCOPE.exclude] };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ScopeConfigError(`${CONFIG_FILE_NAME} is not valid JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ScopeConfigError(`${CONFIG_FILE_NAME} is invalid: ${issues}`);
  }
  const scope = parsed.data.scope ?? {};
  const baseExclude = scope.defaultExcludes === false ? [] : DEFAULT_SCOPE.exclude;
  return {
    include: scope.include ?? [...DEFAULT_SCOPE.include],
    exclude: [...baseExclude, ...(scope.exclude ?? [])],
  };
}

export interface ScopeMatcher {
  /** True for a repo-relative file path that is in scope. */
  file(path: string): boolean;
  /** True for a repo-relative directory that nothing in scope can be under. */
  prunedDir(path: string): boolean;
}

export function scopeMatcher(scope: Scope): ScopeMatcher {
  const include = picomatch([...scope.include], { dot: true });
  const exclude = picomatch([...scope.exclude], { dot: true });
  return {
    file: (path) => include(path) && !exclude(path),
    // A directory is pruned when an exclude glob covers everything below it (`**/node_modules/**`).
    prunedDir: (path) => exclude(`${path}/\u0000probe`),
  };
}
