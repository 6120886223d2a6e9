import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexRepository, ScopeConfigError } from '../src/kg/index.ts';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { snapshotGraph } from './helpers/repos.ts';

describe('indexing a repository full of bad input', () => {
  let t: TestDatabase;
  let root: string;

  beforeAll(async () => {
    t = await createMigratedDatabase('pglite');
    root = mkdtempSync(join(tmpdir(), 'cogo-bad-'));
    const outside = mkdtempSync(join(tmpdir(), 'cogo-outside-'));
    writeFileSync(join(outside, 'secret.ts'), 'export const secret = () => 42;\n');
    mkdirSync(join(root, 'src/nested'), { recursive: true });
    mkdirSync(join(root, 'pkg'));
    writeFileSync(
      join(root, 'src/good.ts'),
      "import { helper } from './nested/helper';\nexport function good() {\n  return helper();\n}\n",
    );
    writeFileSync(join(root, 'src/nested/helper.ts'), 'export function helper(): number {\n  return 1;\n}\n');
    writeFileSync(join(root, 'src/huge.ts'), `export const big = ${JSON.stringify('x'.repeat(5000))};\n`);
    writeFileSync(join(root, 'src/binary.ts'), Buffer.from([0x65, 0x78, 0x00, 0x01, 0x02, 0x00]));
    writeFileSync(join(root, 'src/unparsable.ts'), 'export class {{{ nope\n');
    symlinkSync(join(root, 'src/missing.ts'), join(root, 'src/dangling.ts'));
    symlinkSync(join(root, 'src'), join(root, 'src/nested/loop'));
    symlinkSync(join(outside, 'secret.ts'), join(root, 'src/escape.ts'));
    symlinkSync(join(root, 'src/self-a.ts'), join(root, 'src/self-b.ts'));
    symlinkSync(join(root, 'src/self-b.ts'), join(root, 'src/self-a.ts'));
    writeFileSync(
      join(root, 'tsconfig.json'),
      '{ "compilerOptions": { "strict": true, "types": [] }, "include": ["src"] }',
    );
    writeFileSync(
      join(root, 'pkg/tsconfig.json'),
      '{ "extends": "./does-not-exist.json", "compilerOptions": { "strict": tru',
    );
    writeFileSync(join(root, 'pkg/index.ts'), 'export function fromPkg(): string {\n  return "p";\n}\n');
  });
  afterAll(() => t.dispose());

  it('lists every bad path with its reason and indexes the rest', async () => {
    const report = await indexRepository(t.db, { root, maxFileBytes: 2000 });
    const reasons = Object.fromEntries(report.files.skipped.map((s) => [s.path, s.reason]));
    expect(reasons).toEqual({
      'src/binary.ts': 'binary file: contains NUL bytes',
      'src/dangling.ts': 'broken symlink (ENOENT)',
      'src/escape.ts': 'symlink to a file outside the repository',
      'src/huge.ts': expect.stringMatching(/^file too large: 50\d\d bytes > limit 2000$/),
      'src/nested/loop': 'symlink loop: directory src already visited',
      'src/self-a.ts': 'symlink loop',
      'src/self-b.ts': 'symlink loop',
      'src/unparsable.ts': expect.stringMatching(/^syntax error TS\d+ at line 1: /),
    });
    expect(report.configErrors).toEqual([
      { path: 'pkg/tsconfig.json', reason: expect.stringMatching(/^tsconfig (error|warning): /) },
    ]);
    const g = await snapshotGraph(t.db);
    const functions = g.objects
      .filter((o) => o.kind === 'function')
      .map((o) => `${o.file_path}#${o.name}`)
      .sort();
    expect(functions).toEqual(['pkg/index.ts#fromPkg', 'src/good.ts#good', 'src/nested/helper.ts#helper']);
    expect(report.calls.resolved).toBe(1);
  });

  it('drops a file from the graph when it becomes unindexable, and brings it back when fixed', async () => {
    writeFileSync(join(root, 'src/nested/helper.ts'), 'export function helper(: number {\n');
    const broken = await indexRepository(t.db, { root, maxFileBytes: 2000 });
    expect(broken.mode).toBe('incremental');
    expect(broken.files.skipped.map((s) => s.path)).toContain('src/nested/helper.ts');
    let g = await snapshotGraph(t.db);
    expect(g.objects.some((o) => o.name === 'helper')).toBe(false);
    expect(g.relations.filter((r) => r.kind === 'calls')).toEqual([]);
    writeFileSync(join(root, 'src/nested/helper.ts'), 'export function helper(): number {\n  return 2;\n}\n');
    const fixed = await indexRepository(t.db, { root, maxFileBytes: 2000 });
    expect(fixed.files.skipped.map((s) => s.path)).not.toContain('src/nested/helper.ts');
    g = await snapshotGraph(t.db);
    expect(g.relations.filter((r) => r.kind === 'calls')).toHaveLength(1);
  });

  it('refuses an invalid cogo.config.json with a clear error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cogo-badcfg-'));
    writeFileSync(join(dir, 'cogo.config.json'), '{ "scope": { "include": "src/**" } }');
    const error = await indexRepository(t.db, { root: dir, maxFileBytes: 2000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ScopeConfigError);
    expect((error as ScopeConfigError).message).toMatch(/scope\.include/);
  });
});
