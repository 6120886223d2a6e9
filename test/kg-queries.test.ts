import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkCoverageGate,
  computeCoverage,
  formatGraphResult,
  type GraphResult,
  indexRepository,
  queryGraph,
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
