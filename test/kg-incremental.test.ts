import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexRepository } from '../src/kg/index.ts';
import { registry } from '../src/metrics/index.ts';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { createRepo, SRC_TSCONFIG, snapshotGraph } from './helpers/repos.ts';

/**
 * Invariant: after any sequence of edits, adds, deletes and renames, the incrementally maintained
 * graph equals a clean rebuild of the same files, object for object and edge for edge.
 */

const FILES = ['a', 'b', 'c', 'd', 'e'] as const;
type FileName = (typeof FILES)[number];
const RETURNS = ['number', 'object', 'call'] as const;

interface Fn {
  name: string;
  returns: (typeof RETURNS)[number];
  /** Callee as file + function name; it may not exist (then the call stays unresolved). */
  callee: { file: FileName; fn: string } | undefined;
  usesGlobal: boolean;
}
type Repo = Map<FileName, { fns: Fn[]; comment: number; broken?: boolean }>;

const fnName = fc.constantFrom('f0', 'f1', 'f2');
const callee = fc.option(fc.record({ file: fc.constantFrom(...FILES), fn: fnName }), { nil: undefined });
const fnArb: fc.Arbitrary<Fn> = fc.record({
  name: fnName,
  returns: fc.constantFrom(...RETURNS),
  callee,
  usesGlobal: fc.boolean(),
});

const opArb = fc.oneof(
  fc.record({ op: fc.constant('setFn' as const), file: fc.constantFrom(...FILES), fn: fnArb }),
  fc.record({ op: fc.constant('removeFn' as const), file: fc.constantFrom(...FILES), name: fnName }),
  fc.record({ op: fc.constant('comment' as const), file: fc.constantFrom(...FILES) }),
  fc.record({ op: fc.constant('delete' as const), file: fc.constantFrom(...FILES) }),
  fc.record({
    op: fc.constant('rename' as const),
    from: fc.constantFrom(...FILES),
    to: fc.constantFrom(...FILES),
  }),
  fc.record({ op: fc.constant('globals' as const), mode: fc.constantFrom('none', 'declare', 'define') }),
  fc.record({ op: fc.constant('break' as const), file: fc.constantFrom(...FILES) }),
);
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never;

function render(file: FileName, spec: { fns: Fn[]; comment: number; broken?: boolean }): string {
  const imports = new Map<FileName, Set<string>>();
  for (const f of spec.fns) {
    if (f.callee && f.callee.file !== file) {
      const names = imports.get(f.callee.file) ?? new Set<string>();
      names.add(f.callee.fn);
      imports.set(f.callee.file, names);
    }
  }
  const lines = Array.from({ length: spec.comment }, (_, i) => `// edit ${i}`);
  for (const [from, names] of [...imports].sort())
    lines.push(`import { ${[...names].sort().join(', ')} } from './${from}.ts';`);
  for (const f of spec.fns) {
    const call = f.callee ? `${f.callee.fn}(x)` : 'x';
    const global = f.usesGlobal ? ' + gfn(x)' : '';
    const ret =
      f.returns === 'number' ? `x${global}` : f.returns === 'object' ? `{ v: x, tag: '${file}' }` : call;
    lines.push(
      `export function ${f.name}(x: number) {`,
      `  const y = ${call};`,
      '  void y;',
      `  return ${ret};`,
      '}',
    );
  }
  if (spec.fns.length === 0) lines.push('export {};');
  if (spec.broken) lines.push('export function oops( {');
  return `${lines.join('\n')}\n`;
}

function apply(repo: Repo, op: Op, globals: { mode: string }): void {
  switch (op.op) {
    case 'setFn': {
      const spec = repo.get(op.file) ?? { fns: [], comment: 0 };
      spec.fns = [...spec.fns.filter((f) => f.name !== op.fn.name), op.fn];
      repo.set(op.file, spec);
      break;
    }
    case 'removeFn': {
      const spec = repo.get(op.file);
      if (spec) spec.fns = spec.fns.filter((f) => f.name !== op.name);
      break;
    }
    case 'comment': {
      const spec = repo.get(op.file);
      if (spec) spec.comment++;
      break;
    }
    case 'delete':
      repo.delete(op.file);
      break;
    case 'rename': {
      const spec = repo.get(op.from);
      if (spec && op.from !== op.to) {
        repo.delete(op.from);
        repo.set(op.to, spec);
      }
      break;
    }
    case 'globals':
      globals.mode = op.mode;
      break;
    case 'break': {
      const spec = repo.get(op.file);
      if (spec) spec.broken = !spec.broken;
      break;
    }
  }
}

function writeRepo(root: string, repo: Repo, globals: { mode: string }): void {
  const src = join(root, 'src');
  for (const f of readdirSync(src)) rmSync(join(src, f));
  for (const [file, spec] of repo) writeFileSync(join(src, `${file}.ts`), render(file, spec));
  // A script (no imports or exports): its declarations are global to the whole project.
  if (globals.mode === 'declare')
    writeFileSync(join(src, 'globals.ts'), 'declare function gfn(x: number): number;\n');
  if (globals.mode === 'define')
    writeFileSync(join(src, 'globals.ts'), 'function gfn(x: number) {\n  return x * 2;\n}\n');
}

describe('incremental indexing', () => {
  let incremental: TestDatabase;
  let clean: TestDatabase;

  beforeAll(async () => {
    [incremental, clean] = await Promise.all([
      createMigratedDatabase('pglite'),
      createMigratedDatabase('pglite'),
    ]);
  });
  afterAll(async () => {
    await Promise.all([incremental?.dispose(), clean?.dispose()]);
  });

  it('equals a clean rebuild after every step of generated edit sequences', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fnArb, { minLength: 2, maxLength: 6 }),
        fc.array(opArb, { minLength: 3, maxLength: 8 }),
        async (initial, ops) => {
          runs++;
          const root = mkdtempSync(join(tmpdir(), 'cogo-incr-'));
          mkdirSync(join(root, 'src'));
          writeFileSync(
            join(root, 'tsconfig.json'),
            JSON.stringify({
              compilerOptions: {
                strict: true,
                target: 'ES2022',
                module: 'NodeNext',
                allowImportingTsExtensions: true,
                noEmit: true,
                types: [],
              },
              include: ['src'],
            }),
          );
          const repo: Repo = new Map();
          const globals = { mode: 'none' };
          for (const [i, fn] of initial.entries()) {
            apply(repo, { op: 'setFn', file: FILES[i % FILES.length]!, fn }, globals);
          }
          writeRepo(root, repo, globals);
          await indexRepository(incremental.db, { root, maxFileBytes: 1_000_000, full: true });
          for (const op of ops) {
            apply(repo, op, globals);
            writeRepo(root, repo, globals);
            const report = await indexRepository(incremental.db, { root, maxFileBytes: 1_000_000 });
            await indexRepository(clean.db, { root, maxFileBytes: 1_000_000, full: true });
            const [got, want] = await Promise.all([snapshotGraph(incremental.db), snapshotGraph(clean.db)]);
            expect(
              got,
              `after ${JSON.stringify(op)} (${report.mode}, ${report.files.extracted} extracted)`,
            ).toEqual(want);
          }
          rmSync(root, { recursive: true, force: true });
        },
      ),
      { numRuns: 30, seed: Number(process.env.COGO_PROPERTY_SEED ?? 20261124), endOnFailure: true },
    );
    expect(runs).toBe(30);
  });

  it('extracts only the changed file and its importers after a one-file edit', async () => {
    const root = createRepo({
      'tsconfig.json': SRC_TSCONFIG,
      'src/base.ts': 'export function base() { return 1; }\n',
      'src/mid.ts': "import { base } from './base';\nexport function mid() { return base(); }\n",
      'src/top.ts': "import { mid } from './mid';\nexport function top() { return mid(); }\n",
      'src/alone.ts': 'export function alone() { return 0; }\n',
    });
    const first = await indexRepository(incremental.db, { root, maxFileBytes: 1_000_000 });
    expect(first.mode).toBe('full');
    writeFileSync(join(root, 'src/base.ts'), "export function base() { return 'one'; }\n");
    const second = await indexRepository(incremental.db, { root, maxFileBytes: 1_000_000 });
    expect(second).toMatchObject({ mode: 'incremental', files: { extracted: 3, unchanged: 1 } });
    writeFileSync(join(root, 'src/alone.ts'), 'export function alone() { return 2; }\n');
    const third = await indexRepository(incremental.db, { root, maxFileBytes: 1_000_000 });
    expect(third).toMatchObject({ mode: 'incremental', files: { extracted: 1, unchanged: 3 } });
    const before = await registry.getSingleMetricAsString('cogo_kg_index_runs_total');
    const nothing = await indexRepository(incremental.db, { root, maxFileBytes: 1_000_000 });
    expect(nothing).toMatchObject({ mode: 'incremental', files: { extracted: 0, unchanged: 4 } });
    const count = (text: string) =>
      Number(/cogo_kg_index_runs_total\{mode="incremental"\} (\d+)/.exec(text)?.[1] ?? 0);
    expect(count(await registry.getSingleMetricAsString('cogo_kg_index_runs_total'))).toBe(count(before) + 1);
  });

  it('re-indexes the whole project when a script that declares globals changes or goes', async () => {
    const root = createRepo({
      'tsconfig.json': SRC_TSCONFIG,
      'src/use.ts': 'export function f(x: number) {\n  return gfn(x);\n}\n',
      'src/globals.ts': 'function gfn(x: number) {\n  return x;\n}\n',
    });
    const check = async (expectedMode: string) => {
      const report = await indexRepository(incremental.db, { root, maxFileBytes: 1_000_000 });
      await indexRepository(clean.db, { root, maxFileBytes: 1_000_000, full: true });
      expect(report.mode).toBe(expectedMode);
      expect(await snapshotGraph(incremental.db)).toEqual(await snapshotGraph(clean.db));
      return snapshotGraph(incremental.db);
    };
    const first = await check('full');
    expect(first.relations.filter((r) => r.kind === 'calls')).toHaveLength(1);
    rmSync(join(root, 'src/globals.ts'));
    const gone = await check('full');
    expect(gone.relations.filter((r) => r.kind === 'calls')).toHaveLength(0);
    writeFileSync(join(root, 'src/globals.ts'), 'function gfn(x: number) {\n  return String(x);\n}\n');
    const back = await check('full');
    expect(back.objects.find((o) => o.name === 'f')?.returns_json).toEqual({
      type: 'string',
      inferred: true,
    });
  });

  it('follows dependencies through files that are out of scope', async () => {
    const root = createRepo({
      'tsconfig.json': SRC_TSCONFIG,
      'src/b.ts': 'export function target() {\n  return 1;\n}\n',
      'src/generated/index.ts': "export * from '../b';\n",
      'src/a.ts':
        "import { target } from './generated/index';\nexport function a() {\n  return target();\n}\n",
    });
    const first = await indexRepository(incremental.db, { root, maxFileBytes: 1_000_000 });
    expect(first.files.inScope).toBe(2);
    const calls = async () =>
      (await snapshotGraph(incremental.db)).relations.filter((r) => r.kind === 'calls');
    expect(await calls()).toHaveLength(1);
    writeFileSync(
      join(root, 'src/b.ts'),
      'export function renamed() {\n  return 1;\n}\nexport const target = 2;\n',
    );
    const second = await indexRepository(incremental.db, { root, maxFileBytes: 1_000_000 });
    expect(second).toMatchObject({ mode: 'incremental', files: { extracted: 2 } });
    await indexRepository(clean.db, { root, maxFileBytes: 1_000_000, full: true });
    expect(await snapshotGraph(incremental.db)).toEqual(await snapshotGraph(clean.db));
    expect(await calls()).toHaveLength(0);
  });
});
