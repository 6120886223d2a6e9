import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkCoverageGate,
  computeCoverage,
  countRelations,
  formatGraphResult,
  type GraphQuery,
  type GraphResult,
  indexRepository,
  queryGraph,
  queryGraphFrom,
  relationsOf,
  walkRelations,
} from '../src/kg/index.ts';
import { ADAPTERS, createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { copyFixture } from './helpers/repos.ts';

const names = (r: GraphResult) => r.hits.map((h) => h.object.qualified_name).sort();

describe.each(ADAPTERS)('graph queries and coverage on %s', (adapter) => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createMigratedDatabase(adapter, 'queries');
    await indexRepository(t.db, { root: copyFixture('ts-basic'), maxFileBytes: 1_000_000 });
  });
  afterAll(() => t?.dispose());

  it('finds definitions by bare name, qualified name and module path', async () => {
    const bare = await queryGraph(t.db, 'defs', 'area');
    expect(bare.targets.map((o) => o.qualified_name).sort()).toEqual([
      'Base.area',
      'Circle.area',
      'Shape.area',
      'Square.area',
    ]);
    const exact = await queryGraph(t.db, 'defs', 'Circle.area');
    expect(exact.targets.map((o) => o.qualified_name)).toEqual(['Circle.area']);
    const module = await queryGraph(t.db, 'defs', 'src/util.ts');
    expect(module.targets.map((o) => o.kind)).toEqual(['module']);
    expect((await queryGraph(t.db, 'defs', 'NoSuchThing')).targets).toEqual([]);
  });

  it('returns direct callers with the call-site evidence, and deeper ones with --depth', async () => {
    const direct = await queryGraph(t.db, 'callers', 'double');
    expect(names(direct)).toEqual(['outside', 'run']);
    expect(direct.hits.find((h) => h.object.name === 'run')?.evidence).toEqual({
      file: 'src/main.ts',
      line: 15,
    });
    const deep = await queryGraph(t.db, 'callers', 'double', 2);
    expect(names(deep)).toEqual(['outside', 'run', 'src/main.ts']);
    expect(deep.hits.find((h) => h.object.qualified_name === 'src/main.ts')?.depth).toBe(2);
  });

  it('returns callees', async () => {
    const result = await queryGraph(t.db, 'callees', 'run');
    expect(names(result)).toEqual(
      expect.arrayContaining(['double', 'makeCircle', 'Circle.scale', 'Geometry.distance', 'sumAreas']),
    );
  });

  it('finds implementations of an interface through subclasses, and of an interface method', async () => {
    const types = await queryGraph(t.db, 'implementations', 'Shape');
    expect(names(types)).toEqual(['Base', 'Circle', 'Square']);
    expect(types.hits.find((h) => h.object.name === 'Circle')).toMatchObject({ depth: 2, via: 'extends' });
    const methods = await queryGraph(t.db, 'implementations', 'Shape.area');
    expect(names(methods)).toEqual(['Base.area', 'Circle.area', 'Square.area']);
  });

  it('reports the impact of a change through calls, types, inheritance and imports', async () => {
    const impact = await queryGraph(t.db, 'impact', 'Point');
    expect(names(impact)).toEqual(
      expect.arrayContaining([
        'Base',
        'Circle',
        'Square',
        'centre',
        'Geometry.distance',
        'ShapeOrPoint',
        'run',
      ]),
    );
    const shallow = await queryGraph(t.db, 'impact', 'Point', 1);
    expect(names(shallow)).not.toContain('Circle');
    expect(formatGraphResult(impact)).toMatch(/^type Point {2}src\/shapes\.ts:17-17/);
  });

  it.each([
    ['callers', 'double', 1],
    ['callees', 'run', 2],
    ['implementations', 'Shape', 2],
    ['implementations', 'Shape.area', 1],
    ['impact', 'Point', 3],
  ] as const)(
    'counts every %s hit of %s while returning only the first %i, in the same order',
    async (query: GraphQuery, symbol, limit) => {
      const full = await queryGraph(t.db, query, symbol);
      expect(full.hits.length).toBeGreaterThan(limit);
      const first = await queryGraphFrom(t.db, query, full.targets, { limit });
      expect(first.total).toBe(full.hits.length);
      expect(first.hits).toEqual(full.hits.slice(0, limit));
      expect(first.depth).toBe({ callers: 1, callees: 1, implementations: 10, impact: 3, defs: 0 }[query]);
      const all = await queryGraphFrom(t.db, query, full.targets);
      expect(all.hits).toEqual(full.hits);
      expect(all.total).toBe(full.hits.length);
    },
  );

  it('walks any relation kinds with a limit and the total, and counts relations by kind and exported', async () => {
    const point = (await queryGraph(t.db, 'defs', 'Point')).targets.map((o) => o.id);
    const uses = await walkRelations(t.db, point, ['uses_type', 'returns_type'], 'in', { limit: 1 });
    const every = await relationsOf(t.db, point, ['uses_type', 'returns_type'], 'in', 1000);
    expect(uses.total).toBe(new Set(every.map((r) => r.object.id)).size);
    expect(uses.total).toBeGreaterThan(1);
    expect(uses.hits).toHaveLength(1);
    const util = (await queryGraph(t.db, 'defs', 'src/util.ts')).targets.map((o) => o.id);
    const members = await relationsOf(t.db, util, ['contains'], 'out', 1000);
    const counts = await countRelations(t.db, util, ['contains'], 'out');
    const sum = (f: (c: (typeof counts)[number]) => number) => counts.reduce((n, c) => n + f(c), 0);
    expect(sum((c) => c.total)).toBe(members.length);
    expect(sum((c) => c.exported)).toBe(members.filter((m) => m.object.metadata.exported).length);
    for (const c of counts) {
      expect(c).toMatchObject({ startId: util[0], kind: 'contains' });
      expect(c.total).toBe(members.filter((m) => m.object.kind === c.objectKind).length);
    }
  });

  it('computes coverage with numerators and denominators, and gates on thresholds', async () => {
    const coverage = await computeCoverage(t.db);
    // untyped(value) has an implicit-any parameter: 1 of the fixture's parameters is not known.
    expect(coverage.params.denominator - coverage.params.numerator).toBe(1);
    expect(coverage.lines).toEqual({
      numerator: coverage.lines.denominator,
      denominator: coverage.lines.denominator,
      percent: 100,
    });
    expect(coverage.returns.denominator - coverage.returns.numerator).toBe(1);
    const min = { params: 70, returns: 80, fields: 80, lines: 100, declarations: 99, chunk_lines: 100 };
    // Without the repository on disk, the two figures measured against the files are not measured.
    expect(coverage.declarations.percent).toBeNull();
    expect(checkCoverageGate(coverage, min).ok).toBe(true);
    const strict = checkCoverageGate(coverage, { ...min, params: 100 });
    expect(strict.ok).toBe(false);
    expect(strict.failures.map((f) => f.metric)).toEqual(['params']);
  });
});
