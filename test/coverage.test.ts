import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, loadConfig } from '../src/core/index.ts';
import { checkCoverageGate, computeCoverage, indexRepository } from '../src/kg/index.ts';
import { computeChunkCoverage, createLocalEmbedder, indexSearch } from '../src/search/index.ts';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { copyFixture } from './helpers/repos.ts';

// Declaration and chunk line coverage are measured against the files, not against cogo's output:
// a graph or a search index that misses code must fail the gate.
describe('coverage measured against the source files', () => {
  let t: TestDatabase;
  let root: string;
  const min = loadConfig({}).coverageMin;
  const measure = () => computeCoverage(t.db, { root, chunkLines: computeChunkCoverage });

  beforeAll(async () => {
    t = await createMigratedDatabase('pglite');
    root = copyFixture('ts-values');
    await indexRepository(t.db, { root, maxFileBytes: 1_000_000 });
    await indexSearch(t.db, { root, embedder: createLocalEmbedder(), maxFileBytes: 1_000_000 });
  });
  afterAll(() => t.dispose());

  it('finds every declaration the compiler sees as an object, and every source line in a chunk', async () => {
    const coverage = await measure();
    expect(coverage.declarations).toMatchObject({ percent: 100 });
    // 4 in internal/core.ts, 20 in Array.ts (3 enum and 2 namespace members), Arr, double, main, aliases, schema.
    expect(coverage.declarations.denominator).toBe(29);
    expect(coverage.chunk_lines).toMatchObject({ percent: 100 });
    expect(checkCoverageGate(coverage, min)).toEqual({ ok: true, failures: [] });
    expect([min.declarations, min.chunk_lines]).toEqual([
      CONFIG_DEFAULTS.KG_COVERAGE_DECLARATIONS_MIN,
      CONFIG_DEFAULTS.KG_COVERAGE_CHUNK_LINES_MIN,
    ]);
  });

  it('fails the gate for a graph that leaves out values and value-bound functions', async () => {
    // What the extractor made before value-bound declarations were objects.
    await t.db.query(
      `delete from cbo_objects where kind in ('variable', 'namespace')
          or (kind = 'function' and metadata->>'value' in ('call', 'reference', 'none'))`,
    );
    const coverage = await measure();
    expect(coverage.declarations.percent).toBeLessThan(60);
    const gate = checkCoverageGate(coverage, min);
    expect(gate.ok).toBe(false);
    expect(gate.failures.map((f) => f.metric)).toContain('declarations');
  });

  it('fails the gate when the chunks leave source lines out', async () => {
    await t.db.query("delete from search_chunks where kind = 'module'");
    const coverage = await measure();
    expect(coverage.chunk_lines.percent).toBeLessThan(100);
    expect(checkCoverageGate(coverage, min).failures.map((f) => f.metric)).toContain('chunk_lines');
  });
});
