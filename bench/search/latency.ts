/**
 * Latency at scale: grows each database to a chunk count with synthetic replicas of the real package
 * (synthetic.ts), written through cogo's own store functions, then times `searchCode` (fused, local
 * embedder, limit 10) over a mixed query list.
 */
import type { Db } from '../../src/db/index.ts';
import { type Embedder, searchCode, vectorScanStatus } from '../../src/search/index.ts';
import { keywordCandidates, vectorCandidates } from '../../src/search/retrieve.ts';
import {
  ensureVectorIndex,
  replaceFileChunks,
  upsertEmbeddings,
  vectorIndexName,
} from '../../src/search/store.ts';
import { splitIdentifier } from '../../src/search/tokens.ts';
import { embeddingText, replicaChunks, type SourceFile, variantWord } from './synthetic.ts';

export interface Backend {
  readonly key: 'pglite' | 'postgres';
  readonly db: Db;
  readonly storage: 'vector' | 'real[]';
}

export interface GrowTimings {
  readonly chunks: number;
  readonly replicas: number;
  readonly generateMs: number;
  readonly embedMs: number;
  /** Per backend: replaceFileChunks + upsertEmbeddings, the two databases written concurrently. */
  readonly writeMs: Record<string, number>;
}

/** Deterministic PRNG (mulberry32), so every run uses the same queries. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export type LatencyQueryType = 'sentence' | 'identifier' | 'phrase';

export interface LatencyQuery {
  readonly type: LatencyQueryType;
  readonly text: string;
}

/**
 * A mixed list, interleaved by type so any prefix is balanced: doc sentences (the quality set's
 * queries), identifiers (declared names, every other one with a replica's variant word, all replicas
 * that exist at the smallest size), and 2-3 word phrases (an identifier's parts: "buffer toggle").
 */
export function latencyQueries(
  sentences: readonly string[],
  names: ReadonlySet<string>,
  count: number,
  maxReplica: number,
): LatencyQuery[] {
  const random = rng(20_240_603);
  const nameList = shuffle([...names].sort(), random);
  const third = Math.ceil(count / 3);
  const s = shuffle(sentences, random)
    .slice(0, third)
    .map((text) => ({ type: 'sentence' as const, text }));
  const ids = nameList.slice(0, third).map((name, i) => ({
    type: 'identifier' as const,
    text: i % 2 === 0 ? name : `${name}${variantWord(1 + Math.floor(random() * maxReplica))}`,
  }));
  const phrases = nameList
    .map((n) => splitIdentifier(n))
    .filter((p) => p.length >= 2 && p.length <= 3)
    .slice(0, third)
    .map((p) => ({ type: 'phrase' as const, text: p.join(' ') }));
  const out: LatencyQuery[] = [];
  for (let i = 0; out.length < count && i < third; i++)
    for (const list of [s, ids, phrases]) if (list[i] && out.length < count) out.push(list[i]!);
  return out;
}

/**
 * Adds replicas r = `fromReplica`, ... of the package's files until each database holds `target`
 * chunks (the last replica cut short). Embeddings are computed once and written to every backend.
 */
export async function grow(
  backends: readonly Backend[],
  sources: readonly SourceFile[],
  names: ReadonlySet<string>,
  embedder: Embedder,
  have: number,
  target: number,
  fromReplica: number,
): Promise<GrowTimings & { nextReplica: number }> {
  let total = have;
  let r = fromReplica;
  const t = { generateMs: 0, embedMs: 0, writeMs: Object.fromEntries(backends.map((b) => [b.key, 0])) };
  for (; total < target; r++) {
    let t0 = performance.now();
    const files: Array<{ path: string; fileHash: string; chunks: ReturnType<typeof replicaChunks> }> = [];
    for (const f of sources) {
      if (total >= target) break;
      const chunks = replicaChunks(f, r, names).slice(0, target - total);
      if (chunks.length === 0) continue;
      total += chunks.length;
      files.push({ path: chunks[0]!.path, fileHash: `synthetic-${r}`, chunks });
    }
    const all = files.flatMap((f) => f.chunks);
    t.generateMs += performance.now() - t0;
    t0 = performance.now();
    const vectors = await embedder.embed(all.map(embeddingText));
    t.embedMs += performance.now() - t0;
    const rows = all.map((c, i) => ({ id: c.id, contentHash: c.contentHash, vector: vectors[i]! }));
    await Promise.all(
      backends.map(async (b) => {
        const w0 = performance.now();
        await b.db.transaction(async (tx) => {
          await replaceFileChunks(tx, files);
          for (let i = 0; i < rows.length; i += 500)
            await upsertEmbeddings(tx, b.storage, embedder.model, rows.slice(i, i + 500));
        });
        t.writeMs[b.key]! += performance.now() - w0;
      }),
    );
  }
  const round = (x: number) => Math.round(x);
  return {
    chunks: total,
    replicas: r - fromReplica,
    generateMs: round(t.generateMs),
    embedMs: round(t.embedMs),
    writeMs: Object.fromEntries(Object.entries(t.writeMs).map(([k, v]) => [k, round(v)])),
    nextReplica: r,
  };
}

export async function dropVectorIndex(db: Db, embedder: Embedder): Promise<void> {
  await db.exec(`drop index if exists ${vectorIndexName(embedder.model, embedder.dimension)}`);
}

/** Builds the HNSW index (pgvector only); returns its build time. */
export async function buildVectorIndex(db: Db, embedder: Embedder): Promise<number> {
  const t0 = performance.now();
  await ensureVectorIndex(db, embedder.model, embedder.dimension);
  return Math.round(performance.now() - t0);
}

export interface LatencyFigures {
  readonly n: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly meanMs: number;
  readonly maxMs: number;
}

export interface LatencyRun {
  readonly chunks: number;
  readonly backend: string;
  readonly vectorPaths: string[];
  readonly warmup: number;
  readonly budgetS: number;
  readonly stoppedBy: 'count' | 'budget';
  readonly all: LatencyFigures;
  readonly byType: Record<LatencyQueryType, LatencyFigures>;
  /**
   * Where the time goes: the keyword and vector retrievers (retrieve.ts's own functions, as searchCode
   * calls them), timed apart on a few sentences.
   */
  readonly retrievers: { readonly n: number; readonly keywordP50Ms: number; readonly vectorP50Ms: number };
  readonly hnswUsed: boolean | null;
  /** The in-process vector scan (server): its cold load, and the first search that waited for it. */
  readonly scan: {
    readonly loadMs: number | null;
    readonly rows: number;
    readonly firstSearchMs: number;
    /** Median non-zero components of the local embedder's query vectors (of its dimension). */
    readonly queryNonZeroMedian: number;
    /** searchCode with a dense query vector (every component non-zero), as a semantic embedder gives. */
    readonly dense: LatencyFigures | null;
    /**
     * searchCode right after a statement rewrote 64 vectors (one indexSearch embedding batch): the
     * search first reads those 64 (the catch-up), where it had reloaded everything before the log.
     */
    readonly afterWrite: LatencyFigures & { readonly loadsDuring: number };
  } | null;
}

/** Nearest-rank percentile. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

function figures(times: readonly number[]): LatencyFigures {
  const s = [...times].sort((a, b) => a - b);
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return {
    n: s.length,
    p50Ms: r1(percentile(s, 0.5)),
    p95Ms: r1(percentile(s, 0.95)),
    meanMs: r1(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)),
    maxMs: r1(s.at(-1) ?? Number.NaN),
  };
}

// The pgvector statement as src/search/retrieve.ts runs it, to ask EXPLAIN whether HNSW is used.
function pgvectorSql(model: string, dim: number): string {
  return `select c.id, 1 - (e.embedding::vector(${dim}) <=> $1::vector(${dim})) as score
         from cbo_embeddings e join search_chunks c on c.id = e.owner_id
        where e.model = '${model}' and c.language = any($3::text[])
        order by e.embedding::vector(${dim}) <=> $1::vector(${dim}) limit $2`;
}

const median = (xs: readonly number[]) =>
  Math.round(
    percentile(
      [...xs].sort((a, b) => a - b),
      0.5,
    ) * 10,
  ) / 10;

async function retrieverTimes(
  b: Backend,
  embedder: Embedder,
  sentences: readonly string[],
): Promise<{ n: number; keywordP50Ms: number; vectorP50Ms: number; hnswUsed: boolean | null }> {
  const kw: number[] = [];
  const vec: number[] = [];
  for (const s of sentences) {
    let t0 = performance.now();
    await keywordCandidates(b.db, s, {});
    kw.push(performance.now() - t0);
    t0 = performance.now();
    await vectorCandidates(b.db, s, { embedder });
    vec.push(performance.now() - t0);
  }
  let hnswUsed: boolean | null = null;
  if (b.storage === 'vector' && sentences[0]) {
    const [v] = await embedder.embed([sentences[0]]);
    const sql = pgvectorSql(embedder.model, embedder.dimension);
    // With ef_search and iterative scans set as searchCode sets them.
    hnswUsed = await b.db.transaction(async (tx) => {
      await tx.exec('set local hnsw.ef_search = 200; set local hnsw.iterative_scan = relaxed_order');
      const { rows } = await tx.query<Record<string, string>>(`explain ${sql}`, [
        `[${v!.join(',')}]`,
        100,
        ['ts', 'py'],
      ]);
      return rows.some((r) => Object.values(r).some((x) => String(x).includes('cbo_embeddings_hnsw')));
    });
  }
  return { n: sentences.length, keywordP50Ms: median(kw), vectorP50Ms: median(vec), hnswUsed };
}

/** The local embedder's vectors with every component set: a dense query, of the same model and size. */
function denseEmbedder(embedder: Embedder): Embedder {
  return {
    model: embedder.model,
    dimension: embedder.dimension,
    embed: async (texts) => {
      const vectors = await embedder.embed(texts);
      return vectors.map((v, j) => {
        const random = rng(j + 1);
        const dense = v.map((x) => x + (random() - 0.5) * 0.02);
        const norm = Math.hypot(...dense);
        return dense.map((x) => x / norm);
      });
    },
  };
}

const DENSE_QUERIES = 50;
const AFTER_WRITE_ROUNDS = 20;

/**
 * Times searchCode (fused, local embedder, limit 10) on each query after `warmup` unmeasured ones,
 * until the list or the time budget runs out.
 */
export async function measureLatency(
  b: Backend,
  chunks: number,
  embedder: Embedder,
  queries: readonly LatencyQuery[],
  warmup: number,
  budgetS: number,
): Promise<LatencyRun> {
  // The first search loads the in-process vector scan (server): its time is the cold start.
  const f0 = performance.now();
  await searchCode(b.db, queries[0]!.text, { embedder, limit: 10 });
  const firstSearchMs = Math.round(performance.now() - f0);
  // Warm-up: `warmup` queries, or 10 s where a query takes seconds.
  const w0 = performance.now();
  let warmed = 0;
  for (const q of queries.slice(0, warmup)) {
    if (warmed >= 3 && performance.now() - w0 > 10_000) break;
    await searchCode(b.db, q.text, { embedder, limit: 10 });
    warmed++;
  }
  const times: Array<{ type: LatencyQueryType; ms: number }> = [];
  const paths = new Set<string>();
  const start = performance.now();
  let stoppedBy: 'count' | 'budget' = 'count';
  for (const q of queries) {
    if (performance.now() - start > budgetS * 1000) {
      stoppedBy = 'budget';
      break;
    }
    const t0 = performance.now();
    const result = await searchCode(b.db, q.text, { embedder, limit: 10 });
    times.push({ type: q.type, ms: performance.now() - t0 });
    paths.add(result.vectorPath);
  }
  const sentences = queries.filter((q) => q.type === 'sentence').slice(0, 5);
  const retrievers = await retrieverTimes(
    b,
    embedder,
    sentences.map((q) => q.text),
  );
  let scan: LatencyRun['scan'] = null;
  if (b.storage === 'real[]') {
    const status = vectorScanStatus(b.db, embedder.model, embedder.dimension);
    const nonZero = await Promise.all(
      queries.map(async (q) => (await embedder.embed([q.text]))[0]!.filter((x) => x !== 0).length),
    );
    const dense = denseEmbedder(embedder);
    const denseTimes: number[] = [];
    for (const q of queries.slice(0, DENSE_QUERIES)) {
      const t0 = performance.now();
      await searchCode(b.db, q.text, { embedder: dense, limit: 10 });
      denseTimes.push(performance.now() - t0);
    }
    const writeTimes: number[] = [];
    const loadsBefore = vectorScanStatus(b.db, embedder.model, embedder.dimension).loads;
    for (let round = 0; round < AFTER_WRITE_ROUNDS; round++) {
      await b.db.query(
        `update cbo_embeddings set updated_at = now()
          where model = $1 and owner_id in (select owner_id from cbo_embeddings where model = $1
                                             order by owner_id offset $2 limit 64)`,
        [embedder.model, round * 64],
      );
      const t0 = performance.now();
      await searchCode(b.db, queries[round % queries.length]!.text, { embedder, limit: 10 });
      writeTimes.push(performance.now() - t0);
    }
    const loadsDuring = vectorScanStatus(b.db, embedder.model, embedder.dimension).loads - loadsBefore;
    scan = {
      afterWrite: { ...figures(writeTimes), loadsDuring },
      loadMs: status.lastLoadMs,
      rows: status.rows,
      firstSearchMs,
      queryNonZeroMedian: median(nonZero),
      dense: status.state === 'loaded' ? figures(denseTimes) : null,
    };
  }
  const of = (type: LatencyQueryType) => figures(times.filter((t) => t.type === type).map((t) => t.ms));
  return {
    chunks,
    backend: b.key,
    vectorPaths: [...paths],
    warmup: warmed,
    budgetS,
    stoppedBy,
    all: figures(times.map((t) => t.ms)),
    byType: { sentence: of('sentence'), identifier: of('identifier'), phrase: of('phrase') },
    retrievers: {
      n: retrievers.n,
      keywordP50Ms: retrievers.keywordP50Ms,
      vectorP50Ms: retrievers.vectorP50Ms,
    },
    hnswUsed: retrievers.hnswUsed,
    scan,
  };
}
