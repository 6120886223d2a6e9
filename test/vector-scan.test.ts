import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDb, type Db } from '../src/db/index.ts';
import {
  type Embedder,
  type SearchOptions,
  searchCode,
  vectorScanStatus,
  warmVectorScan,
} from '../src/search/index.ts';
import { ensureVectorIndex, upsertEmbeddings } from '../src/search/store.ts';
import { readEmbeddingGeneration } from '../src/search/vector-scan.ts';
import { ADAPTERS, createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';

const DIMENSION = 24;
const CHUNKS = 5000;

/** Deterministic unit vectors from a seed string: dense, or with only every 6th component set. */
function unitVector(seed: string, sparse: boolean): number[] {
  const bytes = createHash('sha512').update(seed).digest();
  const v = Array.from({ length: DIMENSION }, (_, d) =>
    sparse && d % 6 !== 0 ? 0 : (bytes[d % bytes.length]! - 127.5) / 128,
  );
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

/** An embedder of random directions (a hash of the text): real vectors, dense or sparse, no server. */
function hashEmbedder(sparse: boolean): Embedder {
  return {
    model: `test-hash-${sparse ? 'sparse' : 'dense'}-${DIMENSION}`,
    dimension: DIMENSION,
    embed: async (texts) => texts.map((t) => unitVector(t, sparse)),
  };
}

const chunkId = (i: number) => `chunk-${String(i).padStart(5, '0')}`;

/** CHUNKS chunks: every 10th `md`, every 200th (from 1) of kind `enum`, every 3rd tagged `exported`. */
async function insertChunks(
  db: Db,
  embedders: readonly Embedder[],
  storage: 'vector' | 'real[]' = 'real[]',
  count = CHUNKS,
): Promise<void> {
  await db.query(
    `insert into search_chunks (id, path, language, kind, start_line, end_line, content, content_hash, file_hash, tags, keywords)
     select 'chunk-' || lpad(i::text, 5, '0'), 'src/f' || i || '.ts',
            case when i % 10 = 0 then 'md' else 'ts' end,
            case when i % 200 = 1 then 'enum' else 'function' end,
            1, 1, 'x', 'h' || i, 'f', case when i % 3 = 0 then '{exported}'::text[] else '{}'::text[] end,
            to_tsvector('simple', 'unrelated')
       from generate_series(0, $1 - 1) as i`,
    [count],
  );
  for (const e of embedders) {
    const rows = Array.from({ length: count }, (_, i) => ({
      id: chunkId(i),
      contentHash: `h${i}`,
      // Every 50th chunk repeats another's vector: equal scores, which both paths must order alike.
      vector: unitVector(`v${i % 50 === 49 ? i - 7 : i}`, e.model.includes('sparse')),
    }));
    for (let i = 0; i < rows.length; i += 1000)
      await upsertEmbeddings(db, storage, e.model, rows.slice(i, i + 1000));
  }
}

const vectorOnly = { weights: { keyword: 0, name: 0, graph: 0 }, limit: 100 } as const;
const ranked = (db: Db, q: string, options: SearchOptions) =>
  searchCode(db, q, { ...vectorOnly, ...options }).then((r) => ({
    path: r.vectorPath,
    hits: r.hits.map((h) => [h.id, h.scores.vector?.rank, h.scores.vector?.score]),
  }));

describe('the in-process vector scan (server without pgvector)', () => {
  let t: TestDatabase;
  const dense = hashEmbedder(false);
  const sparse = hashEmbedder(true);

  beforeAll(async () => {
    t = await createMigratedDatabase('postgres', 'vector_scan');
    await insertChunks(t.db, [dense, sparse]);
  });
  afterAll(() => t?.dispose());

  it('returns the candidates, scores and ranks of the SQL path, ties and filters included', async () => {
    const filters: SearchOptions[] = [
      {},
      { languages: ['md'] },
      { languages: ['ts', 'md'], tags: ['exported'] },
      // 25 chunks of 5,000: widening runs out and the allowed ids are read.
      { kinds: ['enum'] },
      { kinds: ['nothing-has-this'] },
    ];
    for (const embedder of [dense, sparse])
      for (const filter of filters)
        for (const q of ['first query', 'another one', 'v42']) {
          const memory = await ranked(t.db, q, { ...filter, embedder });
          const sql = await ranked(t.db, q, { ...filter, embedder, vectorMemoryBytes: 0 });
          expect(memory.path).toBe('exact-memory');
          expect(sql.path).toBe('exact-real[]');
          expect(memory.hits).toEqual(sql.hits);
          const expected = filter.kinds?.[0] === 'enum' ? 25 : filter.kinds ? 0 : 100;
          expect(memory.hits.length).toBe(expected);
        }
    // "v42" is chunk 42's own vector, and chunk 49's: both score 1 and share rank 1.
    const self = await ranked(t.db, 'v42', { embedder: dense });
    expect(self.hits.slice(0, 2).map((h) => h.slice(0, 2))).toEqual([
      [chunkId(42), 1],
      [chunkId(49), 1],
    ]);
    expect(vectorScanStatus(t.db, dense.model, DIMENSION)).toMatchObject({ loads: 1, rows: CHUNKS });
  });

  it('falls back to scoring in SQL past the memory budget, and shares one load among concurrent searches', async () => {
    const fresh = await createPostgresDb({ connectionString: t.url! });
    try {
      const small = await ranked(fresh, 'q', { embedder: dense, vectorMemoryBytes: 1000 });
      expect(small.path).toBe('exact-real[]');
      expect(vectorScanStatus(fresh, dense.model, DIMENSION).state).toBe('over-budget');
      const results = await Promise.all(
        ['a', 'b', 'c', 'd', 'e'].map((q) => ranked(fresh, q, { embedder: dense })),
      );
      expect(results.map((r) => r.path)).toEqual(Array(5).fill('exact-memory'));
      expect(vectorScanStatus(fresh, dense.model, DIMENSION)).toMatchObject({ loads: 2, state: 'loaded' });
      // Loaded ahead of searches (the gateway does at start): the next search loads nothing.
      const warm = await createPostgresDb({ connectionString: t.url! });
      try {
        const status = await warmVectorScan(warm, {
          model: sparse.model,
          dimension: DIMENSION,
          memoryBytes: 2 ** 30,
        });
        expect(status).toMatchObject({ loads: 1, state: 'loaded', rows: CHUNKS });
        expect((await ranked(warm, 'q', { embedder: sparse })).path).toBe('exact-memory');
        expect(vectorScanStatus(warm, sparse.model, DIMENSION).loads).toBe(1);
      } finally {
        await warm.close();
      }
    } finally {
      await fresh.close();
    }
  });
  // Last: it truncates the vectors.
  it('sees writes made through another connection, reading only what changed, and all after a truncate', async () => {
    const embedder = hashEmbedder(false);
    const other = await createPostgresDb({ connectionString: t.url! });
    const reader = await createPostgresDb({ connectionString: t.url! });
    const status = () => vectorScanStatus(reader, embedder.model, DIMENSION);
    try {
      const top = async () => (await ranked(reader, 'probe', { embedder })).hits[0]?.[0];
      const before = await top();
      expect(before).not.toBe(chunkId(1));
      expect(status()).toMatchObject({ loads: 1, changes: 0, rows: CHUNKS });
      // Through the other connection, chunk 1 gets exactly the query's vector (an update).
      const probe = unitVector('probe', false);
      await upsertEmbeddings(other, 'real[]', embedder.model, [
        { id: chunkId(1), contentHash: 'h1', vector: probe },
      ]);
      expect(await top()).toBe(chunkId(1));
      await other.query('delete from cbo_embeddings where owner_id = $1 and model = $2', [
        chunkId(1),
        embedder.model,
      ]);
      expect(await top()).toBe(before);
      expect(status()).toMatchObject({ loads: 1, changes: 2, rows: CHUNKS - 1 });
      // Added back, under a chunk that had no vector of this model, in two statements at once.
      await other.transaction(async (tx) => {
        await upsertEmbeddings(tx, 'real[]', embedder.model, [
          { id: chunkId(1), contentHash: 'h1', vector: probe },
        ]);
        await upsertEmbeddings(tx, 'real[]', embedder.model, [
          { id: 'chunk-extra', contentHash: 'x', vector: unitVector('probe2', false) },
        ]);
      });
      expect(await top()).toBe(chunkId(1));
      expect(status()).toMatchObject({ loads: 1, changes: 3, rows: CHUNKS + 1 });
      // After the changes, the same candidates as the SQL path (chunk-extra has no chunk: not returned).
      for (const q of ['probe', 'probe2', 'v42']) {
        const memory = await ranked(reader, q, { embedder });
        expect(memory.hits).toEqual((await ranked(reader, q, { embedder, vectorMemoryBytes: 0 })).hits);
      }
      await other.query(
        `insert into cbo_embeddings (owner_id, model, dim, embedding) values ($1, $2, $3, $4::real[])`,
        [chunkId(2), `${embedder.model}-other`, DIMENSION, `{${probe.join(',')}}`],
      );
      // Another model's write moves only that model's generation.
      expect(await top()).toBe(chunkId(1));
      expect(status()).toMatchObject({ loads: 1, changes: 3 });
      // Further behind than the log keeps (100 generations): everything is read again.
      for (let i = 0; i < 101; i++)
        await upsertEmbeddings(other, 'real[]', embedder.model, [
          { id: chunkId(3), contentHash: 'h3', vector: unitVector(`again${i}`, false) },
        ]);
      expect(await top()).toBe(chunkId(1));
      expect(status()).toMatchObject({ loads: 2, changes: 0, rows: CHUNKS + 1 });
      await other.exec('truncate cbo_embeddings');
      expect((await ranked(reader, 'probe', { embedder })).hits).toEqual([]);
      expect(status()).toMatchObject({ loads: 3, changes: 0, rows: 0 });
    } finally {
      await other.close();
      await reader.close();
    }
  });
});

describe.each(ADAPTERS)('embedding generations on %s', (adapter) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createMigratedDatabase(adapter, 'embedding_generations');
  });
  afterAll(() => t?.dispose());

  it('moves a model’s generation on every statement that changes its vectors, and only then', async () => {
    const storage = adapter === 'pglite' ? 'vector' : 'real[]';
    const gen = (model: string) => readEmbeddingGeneration(t.db, model);
    expect(await gen('m1')).toBe(0);
    const row = (id: string) => ({ id, contentHash: 'h', vector: [0.6, 0.8] });
    await upsertEmbeddings(t.db, storage, 'm1', [row('a'), row('b')]);
    expect(await gen('m1')).toBe(1);
    // An upsert that updates is an insert statement and an update statement.
    await upsertEmbeddings(t.db, storage, 'm1', [row('a')]);
    const afterUpsert = await gen('m1');
    expect(afterUpsert).toBeGreaterThan(1);
    await upsertEmbeddings(t.db, storage, 'm2', [row('a')]);
    expect(await gen('m1')).toBe(afterUpsert);
    expect(await gen('m2')).toBe(1);
    await t.db.query("delete from cbo_embeddings where model = 'm1' and owner_id = 'nothing'");
    expect(await gen('m1')).toBe(afterUpsert);
    await t.db.query("delete from cbo_embeddings where model = 'm1' and owner_id = 'b'");
    expect(await gen('m1')).toBe(afterUpsert + 1);
    await t.db.query("update cbo_embeddings set model = 'm3' where model = 'm2'");
    expect([await gen('m2'), await gen('m3')]).toEqual([2, 1]);
    // The log names the rows each generation changed, and keeps the last 100 generations.
    const { rows: logged } = await t.db.query<{ owner_id: string }>(
      "select owner_id from cbo_embedding_changes where model = 'm1' and generation = $1",
      [afterUpsert + 1],
    );
    expect(logged.map((r) => r.owner_id)).toEqual(['b']);
    for (let i = 0; i < 105; i++) await upsertEmbeddings(t.db, storage, 'm4', [row(`r${i % 3}`)]);
    const { rows: kept } = await t.db.query<{ lo: string; hi: string }>(
      "select min(generation) as lo, max(generation) as hi from cbo_embedding_changes where model = 'm4'",
    );
    expect([Number(kept[0]?.lo), Number(kept[0]?.hi)]).toEqual([(await gen('m4')) - 99, await gen('m4')]);
    await t.db.exec('truncate cbo_embeddings');
    expect([await gen('m1'), await gen('m2'), await gen('m3')]).toEqual([afterUpsert + 2, 3, 2]);
    const { rows: left } = await t.db.query<{ n: number }>(
      'select count(*)::int as n from cbo_embedding_changes',
    );
    expect(left[0]?.n).toBe(0);
  });
});

describe('the vector path label on PGlite (pgvector)', () => {
  let t: TestDatabase;
  const embedder = hashEmbedder(false);
  beforeAll(async () => {
    t = await createMigratedDatabase('pglite', 'vector_path');
    await insertChunks(t.db, [embedder], 'vector', 500);
  });
  afterAll(() => t?.dispose());

  it('says pgvector-hnsw only when the planner reads the HNSW index', async () => {
    const path = async (options: SearchOptions = {}) =>
      (await ranked(t.db, 'q', { embedder, ...options })).path;
    expect(await path()).toBe('pgvector-exact');
    await ensureVectorIndex(t.db, embedder.model, DIMENSION);
    expect(await path()).toBe('pgvector-hnsw');
    // PGlite is one session: with index scans off, the planner scans exactly. A write moves the
    // generation, so the plan is asked again.
    await t.db.exec('set enable_indexscan = off');
    try {
      await upsertEmbeddings(t.db, 'vector', embedder.model, [
        { id: chunkId(1), contentHash: 'h1', vector: unitVector('x', false) },
      ]);
      expect(await path()).toBe('pgvector-exact');
      expect(await path({ kinds: ['function'] })).toBe('pgvector-exact');
    } finally {
      await t.db.exec('reset enable_indexscan');
    }
    expect(await path({ languages: ['ts', 'md'] })).toBe('pgvector-hnsw');
  });
});
