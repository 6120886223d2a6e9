import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexRepository } from '../src/kg/index.ts';
import {
  chunkMarkdown,
  createLocalEmbedder,
  createOpenAICompatibleEmbedder,
  indexSearch,
  type SearchResult,
  searchCode,
} from '../src/search/index.ts';
import { flushSearchIndexes, replaceFileChunks } from '../src/search/store.ts';
import { ADAPTERS, createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { copyFixture } from './helpers/repos.ts';

const embedder = createLocalEmbedder();
const top = (r: SearchResult, n = 3) => r.hits.slice(0, n).map((h) => h.symbol);

describe.each(ADAPTERS)('search on %s', (adapter) => {
  let t: TestDatabase;
  let root: string;

  beforeAll(async () => {
    t = await createMigratedDatabase(adapter, 'search');
    root = copyFixture('ts-basic');
    writeFileSync(
      join(root, 'GUIDE.md'),
      '# Guide\n\nHow shapes work.\n\n## Areas\n\nEvery shape computes its area; circles use pi.\n\n## Scaling\n\nCircles scale by a factor.\n',
    );
    await indexRepository(t.db, { root, maxFileBytes: 1_000_000 });
  });
  afterAll(() => t?.dispose());

  it('keeps chunks searchable by keyword when the embedding provider is down, and reports why', async () => {
    const dead = createOpenAICompatibleEmbedder({
      baseUrl: 'http://127.0.0.1:9/v1',
      model: 'remote-model',
      dimension: 8,
      maxRetries: 0,
    });
    const report = await indexSearch(t.db, { root, embedder: dead, maxFileBytes: 1_000_000 });
    expect(report.files.chunked).toBe(5);
    expect(report.embeddings).toMatchObject({
      model: 'remote-model',
      embedded: 0,
      error: expect.any(String),
    });
    const result = await searchCode(t.db, 'sumAreas');
    expect(result.hits[0]?.symbol).toBe('sumAreas');
    expect(result.vectorPath).toBe('none');
  });

  it('chunks along symbols and headings, with the objects’ tags, and embeds every chunk once', async () => {
    const report = await indexSearch(t.db, { root, embedder, maxFileBytes: 1_000_000 });
    expect(report.files.chunked).toBe(0);
    expect(report.embeddings).toMatchObject({ embedded: report.chunks.total, current: report.chunks.total });
    expect(report.embeddings.storage).toBe(adapter === 'pglite' ? 'vector' : 'real[]');
    const { rows } = await t.db.query<{ kind: string; n: number }>(
      'select kind, count(*)::int as n from search_chunks group by kind order by kind',
    );
    expect(Object.fromEntries(rows.map((r) => [r.kind, r.n]))).toEqual({
      class: 4,
      doc: 3,
      function: 8,
      interface: 2,
      method: 12,
      module: 4,
      namespace: 1,
      type: 3,
    });
    const { rows: sum } = await t.db.query<{ tags: string[]; start_line: number; end_line: number }>(
      "select tags, start_line, end_line from search_chunks where symbol = 'sumAreas'",
    );
    expect(sum).toEqual([
      {
        tags: expect.arrayContaining([
          'lang:ts',
          'kind:function',
          'exported',
          'async',
          'name:sum',
          'name:areas',
        ]),
        // The chunk carries the doc comment above the declaration (lines 9-12).
        start_line: 9,
        end_line: 17,
      },
    ]);
  });

  it('writes and embeds nothing when nothing changed', async () => {
    const again = await indexSearch(t.db, { root, embedder, maxFileBytes: 1_000_000 });
    expect(again).toMatchObject({
      files: { chunked: 0, removed: 0 },
      chunks: { written: 0 },
      embeddings: { embedded: 0 },
    });
  });

  it('re-chunks only a changed file and re-embeds only its changed chunks', async () => {
    const file = join(root, 'src/util.ts');
    const { readFileSync } = await import('node:fs');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('return total + extra', 'return total * 1 + extra'),
    );
    await indexRepository(t.db, { root, maxFileBytes: 1_000_000 });
    const report = await indexSearch(t.db, { root, embedder, maxFileBytes: 1_000_000 });
    expect(report.files.chunked).toBe(1);
    // sumAreas and the module chunk (its text shows no change, but it is rewritten) — only sumAreas's content changed.
    expect(report.embeddings.embedded).toBe(1);
  });

  it('ranks an exact symbol name first, then prefixes, and forgives a typo', async () => {
    const exact = await searchCode(t.db, 'sumAreas', { embedder });
    expect(exact.hits[0]).toMatchObject({
      symbol: 'sumAreas',
      path: 'src/util.ts',
      startLine: 9,
      kind: 'function',
    });
    expect(exact.hits[0]?.scores.name?.match).toBe('exact');
    const prefix = await searchCode(t.db, 'makeCirc', { embedder });
    expect(prefix.hits[0]).toMatchObject({ symbol: 'makeCircle', scores: { name: { match: 'prefix' } } });
    // An existing name is not a typo: no trigram matches beside it.
    expect(exact.hits.filter((h) => h.scores.name?.match === 'fuzzy')).toEqual([]);
    const typo = await searchCode(t.db, 'sumAraes', { embedder });
    expect(top(typo)).toContain('sumAreas');
    expect(typo.hits.find((h) => h.symbol === 'sumAreas')?.scores.name?.match).toBe('fuzzy');
    const qualified = await searchCode(t.db, 'Circle.scale', { embedder });
    expect(qualified.hits[0]?.symbol).toBe('Circle.scale');
  });

  it('finds code from a description and says which vector path ran', async () => {
    const result = await searchCode(t.db, 'distance between two points', { embedder });
    expect(top(result)).toContain('Geometry.distance');
    expect(result.vectorPath).toBe(adapter === 'pglite' ? 'pgvector-hnsw' : 'exact-memory');
    const hit = result.hits.find((h) => h.symbol === 'Geometry.distance')!;
    expect(hit.scores.keyword?.rank).toBeGreaterThan(0);
    expect(hit.scores.vector?.rank).toBeGreaterThan(0);
    expect(hit.scores.fused).toBe(hit.score);
  });

  it('filters by language, kind, path glob and tags', async () => {
    const methods = await searchCode(t.db, 'area', { embedder, kinds: ['method'] });
    expect(methods.hits.length).toBeGreaterThan(0);
    expect(methods.hits.every((h) => h.kind === 'method')).toBe(true);
    const inShapes = await searchCode(t.db, 'area', { embedder, path: 'src/shapes.ts' });
    expect(inShapes.hits.every((h) => h.path === 'src/shapes.ts')).toBe(true);
    const asyncOnly = await searchCode(t.db, 'areas', { embedder, tags: ['async'] });
    expect(asyncOnly.hits.map((h) => h.symbol)).toEqual(['sumAreas']);
    const code = await searchCode(t.db, 'circles scale factor', { embedder });
    expect(code.hits.every((h) => h.language === 'ts')).toBe(true);
    const docs = await searchCode(t.db, 'circles scale factor', { embedder, languages: ['md'] });
    expect(docs.hits[0]).toMatchObject({
      kind: 'doc',
      symbol: 'Guide > Scaling',
      path: 'GUIDE.md',
      startLine: 9,
    });
  });

  it('offers a weighted-sum fusion beside reciprocal rank', async () => {
    const weighted = await searchCode(t.db, 'sumAreas', { embedder, fusion: 'weighted' });
    expect(weighted.fusion).toBe('weighted');
    expect(weighted.hits[0]?.symbol).toBe('sumAreas');
  });

  it('drops the chunks and embeddings of a deleted file', async () => {
    const { rmSync } = await import('node:fs');
    rmSync(join(root, 'GUIDE.md'));
    const report = await indexSearch(t.db, { root, embedder, maxFileBytes: 1_000_000 });
    expect(report.files.removed).toBe(1);
    const { rows } = await t.db.query<{ n: number }>(
      'select count(*)::int as n from cbo_embeddings e where not exists (select 1 from search_chunks c where c.id = e.owner_id)',
    );
    expect(rows[0]?.n).toBe(0);
  });

  it('leaves the GIN indexes with no pending entries after indexing, so searches do not scan them', async () => {
    writeFileSync(join(root, 'NOTES.md'), '# Notes\n\nPending entries.\n');
    // Chunks written without indexSearch wait in the pending lists (GIN fastupdate).
    await replaceFileChunks(t.db, [
      { path: 'NOTES.md', fileHash: 'stale', chunks: chunkMarkdown('NOTES.md', '# Notes\n\nOld text.\n') },
    ]);
    const { rows } = await t.db.query<{ pages: number }>(
      "select gin_clean_pending_list('search_chunks_name_trgm_idx'::regclass)::int as pages",
    );
    expect(rows[0]?.pages).toBeGreaterThan(0);
    await replaceFileChunks(t.db, [
      { path: 'NOTES.md', fileHash: 'stale', chunks: chunkMarkdown('NOTES.md', '# Notes\n\nOld text.\n') },
    ]);
    const report = await indexSearch(t.db, { root, embedder, maxFileBytes: 1_000_000 });
    expect(report.files.chunked).toBe(1);
    expect(await flushSearchIndexes(t.db)).toBe(0);
  });
});
