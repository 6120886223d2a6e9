import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDefinitions, type IndexReport, indexRepository } from '../src/kg/index.ts';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import {
  byQualifiedName,
  copyFixture,
  edgeStrings,
  type GraphSnapshot,
  snapshotGraph,
} from './helpers/repos.ts';

// The ts-values fixture writes its API the ways modern TypeScript libraries do: functions bound to
// values (annotated overloads, `dual(...)`, `Object.assign`), factory-built values, object
// literals, namespaces and `export * as X`, merged declarations, arrow-function properties.
describe('declarations bound to values (the ts-values fixture)', () => {
  let t: TestDatabase;
  let report: IndexReport;
  let g: GraphSnapshot;
  const at = (qualifiedName: string, kind?: string, path = 'src/Array.ts') =>
    byQualifiedName({ ...g, objects: g.objects.filter((o) => o.file_path === path) }, qualifiedName, kind);

  beforeAll(async () => {
    t = await createMigratedDatabase('pglite');
    report = await indexRepository(t.db, { root: copyFixture('ts-values'), maxFileBytes: 1_000_000 });
    g = await snapshotGraph(t.db);
  });
  afterAll(() => t.dispose());

  it('makes a function of every const whose type is callable, with every call signature', () => {
    const map = at('map');
    expect(map.kind).toBe('function');
    expect(map.metadata).toMatchObject({ binding: 'const', value: 'reference', bound_to: 'core.map' });
    expect(map.metadata.signatures).toEqual([
      '<A, B>(f: (a: A) => B) => (self: ReadonlyArray<A>) => B[]',
      '<A, B>(self: ReadonlyArray<A>, f: (a: A) => B) => B[]',
    ]);
    expect(map.params_json).toEqual([
      { name: 'f', type: '(a: A) => B', type_inferred: false, optional: false, default: null, rest: false },
    ]);
    expect(map.returns_json).toEqual({ type: '(self: ReadonlyArray<A>) => B[]', inferred: false });
    expect(map.doc).toBe('Maps every element, data-first or data-last.');
    expect([map.start_line, map.end_line]).toEqual([7, 10]);

    const flatMap = at('flatMap');
    expect(flatMap.kind).toBe('function');
    expect(flatMap.metadata).toMatchObject({ value: 'call', bound_to: 'dual' });
    expect(flatMap.params_json.map((p) => p.name)).toEqual(['self', 'f']);
    expect(flatMap.returns_json).toEqual({ type: 'B[]', inferred: true });

    expect(at('make')).toMatchObject({ kind: 'function', metadata: { bound_to: 'Object.assign' } });
    expect(at('make').params_json[0]).toMatchObject({ name: 'items', rest: true });
    // Optional functions are functions: `onChange?.(1)` calls one.
    expect(at('onChange')).toMatchObject({ kind: 'function', metadata: { binding: 'let', value: 'none' } });
  });

  it('makes a variable of every other top-level value, with its type and object-literal fields', () => {
    const schema = at('StringSchema');
    expect(schema).toMatchObject({
      kind: 'variable',
      signature: 'export const StringSchema: Schema<string>',
      returns_json: null,
      metadata: {
        value: 'call',
        bound_to: 'factory',
        value_type: 'Schema<string>',
        value_type_inferred: false,
      },
    });
    const defaults = at('defaults');
    expect(defaults.kind).toBe('variable');
    expect(defaults.fields_json.map((f) => [f.name, f.type, f.readonly])).toEqual([
      ['retries', '3', true],
      ['label', '"array"', true],
      ['reset', '() => number', true],
    ]);
    expect(at('head')).toMatchObject({ kind: 'variable', metadata: { binding: 'const_destructured' } });
    expect(at('tail').metadata.value_type).toBe('number[]');
    expect(at('Order.Less')).toMatchObject({ kind: 'variable', signature: 'Less = -1' });
    // A type the file does not import is named relative to the file, not by absolute path.
    expect(at('schema', 'variable', 'src/app.ts').metadata.value_type).toBe(
      'import("./index").Schema<string>',
    );
    expect(at('default')).toMatchObject({ kind: 'variable', metadata: { binding: 'export_default' } });
  });

  it('makes methods of object literals and arrow-function class properties', () => {
    expect(at('defaults.describe')).toMatchObject({ kind: 'method', returns_json: { type: 'string' } });
    expect(at('defaults.reset').kind).toBe('method');
    expect(at('Pair.of')).toMatchObject({ kind: 'method', returns_json: { type: 'Pair', inferred: false } });
    expect(at('Counter.increment')).toMatchObject({ kind: 'method', params_json: [{ name: 'by' }] });
    expect(edgeStrings(g, 'contains')).toEqual(
      expect.arrayContaining([
        'defaults -> defaults.describe',
        'Pair -> Pair.of',
        'Counter -> Counter.increment',
      ]),
    );
  });

  it('makes namespaces objects, and keeps merged declarations apart', () => {
    expect(at('Ops', 'namespace').signature).toBe('export namespace Ops');
    expect(edgeStrings(g, 'contains')).toEqual(expect.arrayContaining(['Ops -> Ops.sum', 'Ops -> Ops.zero']));
    expect(at('Pair', 'interface').id).not.toBe(at('Pair', 'variable').id);
    const arr = at('Arr', 'namespace', 'src/index.ts');
    expect(arr.signature).toBe("export * as Arr from './Array.js'");
    const target = g.relations.find((r) => r.kind === 'imports' && r.src_id === arr.id);
    expect(g.objects.find((o) => o.id === target?.dst_id)?.file_path).toBe('src/Array.ts');
  });

  it('keeps every overload signature of a function', () => {
    expect(at('pick').metadata.signatures).toEqual([
      'export function pick(x: number): number',
      'export function pick(x: string): string',
    ]);
  });

  it('links calls through namespace imports, namespace re-exports, export * and export { a as b }, aliases and value-bound functions', () => {
    expect(edgeStrings(g, 'calls').filter((e) => e.startsWith('main ->'))).toEqual([
      'main -> Counter',
      'main -> Counter.run',
      'main -> Ops.sum',
      'main -> Pair.of',
      'main -> Schema.parse',
      'main -> defaults.describe',
      'main -> double',
      'main -> factory',
      'main -> flatMap',
      'main -> make',
      'main -> map',
      'main -> onChange',
    ]);
    // `const double = A.map(...)` calls map from the variable it defines.
    expect(edgeStrings(g, 'calls')).toEqual(
      expect.arrayContaining(['double -> map', 'flatMap -> dual', 'StringSchema -> factory']),
    );
    expect(edgeStrings(g, 'calls')).toContain('Counter.run -> Counter.increment');
    // A local alias and a local destructuring are followed to the value they name.
    expect(edgeStrings(g, 'calls').filter((e) => e.startsWith('aliases ->'))).toEqual([
      'aliases -> flatMap',
      'aliases -> make',
    ]);
    expect(report.calls.unresolved).toBe(0);
  });

  it('finds module-qualified names the way people write them', async () => {
    const where = async (symbol: string) =>
      (await findDefinitions(t.db, symbol)).map((o) => `${o.kind} ${o.qualified_name} ${o.file_path}`);
    // A namespace re-export, a namespace import's alias, the module's file name.
    expect(await where('Arr.flatMap')).toEqual(['function flatMap src/Array.ts']);
    expect(await where('A.make')).toEqual(['function make src/Array.ts']);
    expect(await where('Array.map')).toEqual(['function map src/Array.ts']);
    expect(await where('core.map')).toEqual(['function map src/internal/core.ts']);
    expect(await where('Arr.Counter.run')).toEqual(['method Counter.run src/Array.ts']);
    // A qualified name that exists as declared wins.
    expect(await where('Ops.sum')).toEqual(['function Ops.sum src/Array.ts']);
    expect(await where('Nope.map')).toEqual([]);
  });
});
