import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IndexReport, indexRepository } from '../src/kg/index.ts';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import {
  byQualifiedName,
  copyFixture,
  createRepo,
  edgeStrings,
  type GraphSnapshot,
  snapshotGraph,
} from './helpers/repos.ts';

describe('TypeScript extraction of the ts-basic fixture', () => {
  let t: TestDatabase;
  let root: string;
  let report: IndexReport;
  let g: GraphSnapshot;

  beforeAll(async () => {
    t = await createMigratedDatabase('pglite');
    root = copyFixture('ts-basic');
    report = await indexRepository(t.db, { root, maxFileBytes: 1_000_000 });
    g = await snapshotGraph(t.db);
  });
  afterAll(() => t.dispose());

  it('assigns files to their tsconfig project and the rest to the inferred project', () => {
    expect(report.projects).toEqual([
      { name: 'tsconfig.json', files: 4 },
      { name: '(inferred)', files: 1 },
    ]);
  });

  it('skips a file with a syntax error and names the error and line', () => {
    expect(report.files.skipped).toEqual([
      { path: 'src/broken.ts', reason: expect.stringMatching(/^syntax error TS1005 at line 6/) },
    ]);
    expect(g.objects.filter((o) => o.file_path === 'src/broken.ts')).toEqual([]);
  });

  it('extracts every kind with its full line span', () => {
    const spans = (q: string, kind?: string) => {
      const o = byQualifiedName(g, q, kind);
      return [o.kind, o.start_line, o.end_line];
    };
    expect(spans('src/shapes.ts')).toEqual(['module', 1, 76]);
    expect(spans('Square')).toEqual(['class', 63, 75]);
    expect(spans('Shape', 'interface')).toEqual(['interface', 2, 6]);
    expect(spans('Unit')).toEqual(['type', 12, 15]);
    expect(spans('Point')).toEqual(['type', 17, 17]);
    expect(spans('Base')).toEqual(['class', 21, 43]);
    expect(spans('Base.constructor')).toEqual(['method', 26, 28]);
    expect(spans('Base.secret')).toEqual(['method', 32, 38]);
    expect(spans('Circle.scale')).toEqual(['method', 55, 60]);
    expect(spans('double')).toEqual(['function', 3, 3]);
    expect(spans('makeCircle')).toEqual(['function', 5, 7]);
    expect(spans('sumAreas')).toEqual(['function', 13, 17]);
    expect(spans('Geometry.distance')).toEqual(['function', 25, 27]);
    expect(spans('Shape.area')).toEqual(['method', 5, 5]);
  });

  it('records parameters with declared types, defaults, optionality and rest', () => {
    expect(byQualifiedName(g, 'sumAreas').params_json).toEqual([
      { name: 'shapes', type: 'Shape[]', type_inferred: false, optional: false, default: null, rest: false },
      { name: 'start', type: 'number', type_inferred: true, optional: true, default: '0', rest: false },
      { name: 'extra', type: 'number[]', type_inferred: false, optional: false, default: null, rest: true },
    ]);
    expect(byQualifiedName(g, 'untyped').params_json).toEqual([
      { name: 'value', type: 'any', type_inferred: true, optional: false, default: null, rest: false },
    ]);
  });

  it('records declared return types and marks inferred ones', () => {
    expect(byQualifiedName(g, 'sumAreas').returns_json).toEqual({ type: 'Promise<number>', inferred: false });
    expect(byQualifiedName(g, 'makeCircle').returns_json).toEqual({ type: 'Circle', inferred: true });
    expect(byQualifiedName(g, 'centre').returns_json).toEqual({
      type: '{ x: number; y: number; }',
      inferred: true,
    });
    expect(byQualifiedName(g, 'Base.constructor').returns_json).toBeNull();
  });

  it('records fields of classes, interfaces and object-literal types', () => {
    expect(byQualifiedName(g, 'Base').fields_json).toEqual([
      {
        name: 'count',
        type: 'number',
        type_inferred: true,
        optional: false,
        readonly: false,
        static: true,
        visibility: 'public',
      },
      {
        name: 'origin',
        type: 'Point',
        type_inferred: false,
        optional: false,
        readonly: false,
        static: false,
        visibility: 'protected',
      },
      {
        name: '#secret',
        type: 'string',
        type_inferred: true,
        optional: false,
        readonly: false,
        static: false,
        visibility: 'private',
      },
      {
        name: 'name',
        type: 'string',
        type_inferred: false,
        optional: false,
        readonly: true,
        static: false,
        visibility: 'public',
      },
    ]);
    expect(
      byQualifiedName(g, 'Shape', 'interface').fields_json.map((f) => [f.name, f.optional, f.readonly]),
    ).toEqual([
      ['name', false, true],
      ['label', true, false],
    ]);
    expect(byQualifiedName(g, 'Point').fields_json.map((f) => f.name)).toEqual(['x', 'y', 'tag']);
  });

  it('groups overloads and accessor pairs into one object', () => {
    const scale = byQualifiedName(g, 'Circle.scale');
    expect(scale.metadata.declarations).toBe(3);
    expect(scale.signature).toBe('scale(by: number, round = false): Circle');
    expect(scale.doc).toBe('Scales the circle.');
    expect(byQualifiedName(g, 'Base.secret').metadata.accessor).toBe('get/set');
  });

  it('keeps doc comments, JSDoc tags and modifiers in metadata', () => {
    const sum = byQualifiedName(g, 'sumAreas');
    expect(sum.doc).toBe('Sums the areas of shapes.\n@deprecated use totalArea');
    expect(sum.metadata).toMatchObject({
      language: 'ts',
      exported: true,
      async: true,
      jsdoc_tags: ['deprecated'],
    });
    expect(sum.metadata.tags).toEqual(
      expect.arrayContaining(['lang:ts', 'kind:function', 'exported', 'async', 'deprecated', 'path:src']),
    );
    expect(byQualifiedName(g, 'Base').metadata).toMatchObject({ abstract: true, exported: true });
    expect(byQualifiedName(g, 'untyped').metadata.exported).toBe(true);
    expect(byQualifiedName(g, 'Base.area').metadata.abstract).toBe(true);
    expect(byQualifiedName(g, 'Square.check').metadata.exported).toBe(false);
    expect(byQualifiedName(g, 'Square.area').metadata.exported).toBe(true);
  });

  it('links calls only when the checker resolves exactly one repo declaration', () => {
    const calls = edgeStrings(g, 'calls');
    expect(calls).toEqual(
      expect.arrayContaining([
        'run -> double',
        'run -> makeCircle',
        'run -> Circle.scale',
        'run -> Geometry.distance',
        'run -> sumAreas',
        'run -> Circle.constructor',
        'run -> Square.constructor',
        'Circle.constructor -> Base.constructor',
        'Circle.scale -> Circle.constructor',
        'Runner.run -> sumAreas',
        'sumAreas -> Shape.area',
        'Base.describe -> Base.area',
        'outside -> double',
        'src/main.ts -> run',
      ]),
    );
    // shape.area() on Circle | Square has two candidate declarations: counted, not linked.
    expect(calls.filter((c) => c.startsWith('run -> ') && c.endsWith('.area'))).toEqual([]);
    expect(report.calls.ambiguous).toBe(1);
    expect(report.callSamples).toContainEqual({
      outcome: 'ambiguous',
      file: 'src/main.ts',
      line: 8,
      text: 'shape.area',
    });
    expect(report.callSamples).toContainEqual({
      outcome: 'unresolved',
      file: 'src/main.ts',
      line: 12,
      text: 'loose.whatever',
    });
    expect(report.calls.external).toBeGreaterThanOrEqual(3);
  });

  it('keeps extends and implements apart', () => {
    expect(edgeStrings(g, 'extends')).toEqual(['Circle -> Base', 'Square -> Base']);
    expect(edgeStrings(g, 'implements')).toEqual(['Base -> Named', 'Base -> Shape']);
  });

  it('records imports with names, re-exports and external packages', () => {
    const imports = g.relations.filter((r) => r.kind === 'imports' && r.evidence.file === 'src/main.ts');
    const byTarget = Object.fromEntries(
      imports.map((r) => [g.objects.find((o) => o.id === r.dst_id)!.qualified_name, r.metadata]),
    );
    expect(byTarget['node:path']).toMatchObject({ names: ['join'], specifier: 'node:path' });
    expect(byTarget['src/shapes.ts']).toMatchObject({
      names: ['*', 'Circle', 'Shape', 'Square'],
      reexport: true,
    });
    expect(byTarget['src/util.ts']).toMatchObject({
      names: ['Geometry', 'double', 'makeCircle', 'sumAreas', 'untyped'],
    });
    const external = byQualifiedName(g, 'node:path');
    expect(external).toMatchObject({ kind: 'module', file_path: null, metadata: { external: true } });
  });

  it('records types used by parameters and fields, and declared and inferred return types', () => {
    expect(edgeStrings(g, 'uses_type')).toEqual(
      expect.arrayContaining([
        'sumAreas -> Shape',
        'Geometry.distance -> Point',
        'Base -> Point',
        'Base.describe -> Unit',
        'ShapeOrPoint -> Shape',
      ]),
    );
    expect(edgeStrings(g, 'returns_type')).toEqual(['Circle.scale -> Circle', 'makeCircle -> Circle']);
    const inferred = g.relations.find(
      (r) => r.kind === 'returns_type' && r.resolver === 'ts-checker-inferred',
    );
    expect(inferred).toMatchObject({ confidence: 0.9, metadata: { inferred: true } });
  });

  it('gives every relation evidence in the source object file, and leaves no dangling edge', () => {
    const ids = new Map(g.objects.map((o) => [o.id, o]));
    for (const r of g.relations) {
      expect(ids.has(r.src_id), `src of ${r.kind} ${r.id}`).toBe(true);
      expect(ids.has(r.dst_id), `dst of ${r.kind} ${r.id}`).toBe(true);
      const src = ids.get(r.src_id)!;
      expect(r.evidence.file).toBe(src.file_path);
    }
  });

  it('keeps ids stable when something else in the file changes', async () => {
    const before = new Map(g.objects.map((o) => [o.qualified_name + o.kind, o.id]));
    const file = join(root, 'src/util.ts');
    const { readFileSync } = await import('node:fs');
    writeFileSync(
      file,
      `// a new leading comment\n\nexport function added(): void {}\n${readFileSync(file, 'utf8')}`,
    );
    await indexRepository(t.db, { root, maxFileBytes: 1_000_000 });
    const after = await snapshotGraph(t.db);
    for (const o of after.objects) {
      if (o.qualified_name === 'added') continue;
      expect(o.id).toBe(before.get(o.qualified_name + o.kind));
    }
    expect(byQualifiedName(after, 'double').start_line).toBe(6);
  });
});

describe('an inferred project (no tsconfig)', () => {
  it("takes type roots from the indexed repository's node_modules/@types, not the current directory", async () => {
    const t = await createMigratedDatabase('pglite');
    try {
      const root = createRepo({
        'node_modules/@types/fooglobal/index.d.ts': 'declare function fooGlobal(): number;\n',
        'use.ts': 'export function use() {\n  return fooGlobal();\n}\n',
      });
      const report = await indexRepository(t.db, { root, maxFileBytes: 1_000_000 });
      expect(report.projects).toEqual([{ name: '(inferred)', files: 1 }]);
      expect(report.calls).toMatchObject({ external: 1, unresolved: 0 });
      const g = await snapshotGraph(t.db);
      expect(byQualifiedName(g, 'use').returns_json).toEqual({ type: 'number', inferred: true });
    } finally {
      await t.dispose();
    }
  });
});

describe('names that are both a type and a value', () => {
  it('links calls to the value and annotations to the type, and prefers a class over its merged interface', async () => {
    const t = await createMigratedDatabase('pglite');
    try {
      const root = createRepo({
        'tsconfig.json': JSON.stringify({ compilerOptions: { strict: true, types: [] } }),
        'merged.ts': [
          'export interface EmptyError extends Error {}',
          'export interface EmptyErrorCtor {',
          '  new (): EmptyError;',
          '}',
          'export const EmptyError: EmptyErrorCtor = createError();',
          'function createError(): EmptyErrorCtor {',
          '  return class extends Error {} as unknown as EmptyErrorCtor;',
          '}',
          'export type OK<T> = { ok: true; value: T };',
          'export const OK = <T>(value: T): OK<T> => ({ ok: true, value });',
          'export class Widget {',
          '  size = 1;',
          '}',
          'export interface Widget {',
          '  extra(): void;',
          '}',
          'export interface WithGetter {',
          '  get g(): number;',
          '  set g(v: number);',
          '}',
          'export function useAll(w: Widget): OK<number> {',
          '  const e = new EmptyError();',
          '  void e;',
          '  const made = new Widget();',
          '  made.extra();',
          '  return OK(w.size);',
          '}',
          'export class Parent {',
          '  constructor(readonly n: number) {}',
          '}',
          'export class Child extends Parent {}',
          'export class Grandchild extends Child {',
          '  constructor() {',
          '    super(2);',
          '  }',
          '}',
          'export function make() {',
          '  return [new Child(1), new Parent(0), new Grandchild()];',
          '}',
          '',
        ].join('\n'),
      });
      const report = await indexRepository(t.db, { root, maxFileBytes: 1_000_000 });
      const g = await snapshotGraph(t.db);
      // `new EmptyError()` constructs the const (a value with a construct signature), not the interface.
      expect(edgeStrings(g, 'calls').filter((e) => e.startsWith('useAll'))).toEqual([
        'useAll -> EmptyError',
        'useAll -> OK',
        'useAll -> Widget',
        'useAll -> Widget.extra',
      ]);
      expect(
        g.objects.find(
          (o) => o.id === g.relations.find((r) => r.kind === 'calls' && r.evidence.line === 26)?.dst_id,
        )?.kind,
      ).toBe('function');
      expect(edgeStrings(g, 'uses_type')).toEqual(expect.arrayContaining(['useAll -> Widget']));
      expect(g.objects.find((o) => o.qualified_name === 'Widget' && o.kind === 'class')?.id).toBe(
        g.relations.find((r) => r.kind === 'uses_type' && r.evidence.line === 21)?.dst_id,
      );
      expect(edgeStrings(g, 'returns_type')).toEqual([
        'EmptyError -> EmptyError',
        'OK -> OK',
        'createError -> EmptyErrorCtor',
        'make -> Parent',
        'useAll -> OK',
      ]);
      expect(report.calls.ambiguous).toBe(0);
      // An inherited constructor is not the callee: `new Child(1)` links to the class Child.
      expect(
        edgeStrings(g, 'calls').filter((e) => e.startsWith('make') || e.startsWith('Grandchild')),
      ).toEqual([
        'Grandchild.constructor -> Child',
        'make -> Child',
        'make -> Grandchild.constructor',
        'make -> Parent.constructor',
      ]);
      expect(byQualifiedName(g, 'WithGetter.g')).toMatchObject({
        kind: 'method',
        metadata: { accessor: 'get/set', signature_only: true },
      });
    } finally {
      await t.dispose();
    }
  });
});
