import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCOPE, loadScope, ScopeConfigError, scopeMatcher } from './scope.ts';

describe('scope', () => {
  const m = scopeMatcher({ include: DEFAULT_SCOPE.include, exclude: DEFAULT_SCOPE.exclude });

  it('keeps source files and drops tests, samples, legacy, backups, generated code and build output', () => {
    expect(m.file('src/services/gateway.ts')).toBe(true);
    expect(m.file('packages/a/src/index.tsx')).toBe(true);
    for (const path of [
      'src/a.test.ts',
      'src/a.spec.tsx',
      'test/helpers.ts',
      'src/__tests__/x.ts',
      'samples/demo.ts',
      'legacy/old.ts',
      'backups/x.ts',
      'src/generated/api.ts',
      'src/schema.generated.ts',
      'dist/index.ts',
      'node_modules/pkg/index.ts',
      'src/readme.md',
    ]) {
      expect(m.file(path), path).toBe(false);
    }
  });

  it('prunes directories nothing in scope can be under', () => {
    expect(m.prunedDir('node_modules')).toBe(true);
    expect(m.prunedDir('packages/a/node_modules')).toBe(true);
    expect(m.prunedDir('src')).toBe(false);
  });

  it('reads include and extra excludes from cogo.config.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cogo-scope-'));
    writeFileSync(
      join(dir, 'cogo.config.json'),
      JSON.stringify({ scope: { include: ['src/**/*.ts'], exclude: ['src/vendor/**'] } }),
    );
    const scope = loadScope(dir);
    expect(scope.include).toEqual(['src/**/*.ts']);
    expect(scope.exclude).toEqual([...DEFAULT_SCOPE.exclude, 'src/vendor/**']);
    const matcher = scopeMatcher(scope);
    expect(matcher.file('src/vendor/x.ts')).toBe(false);
    expect(matcher.file('lib/x.ts')).toBe(false);
    expect(matcher.file('src/x.ts')).toBe(true);
  });

  it('rejects unknown keys and malformed JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cogo-scope-'));
    writeFileSync(join(dir, 'cogo.config.json'), JSON.stringify({ scope: { inclde: ['x'] } }));
    expect(() => loadScope(dir)).toThrow(ScopeConfigError);
    writeFileSync(join(dir, 'cogo.config.json'), '{ nope');
    expect(() => loadScope(dir)).toThrow(/not valid JSON/);
  });
});
