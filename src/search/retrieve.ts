import picomatch from 'picomatch';
import { type Db, vectorStorage } from '../db/index.ts';
import type { Embedder } from './embedder.ts';
import { recordSearch } from './metrics.ts';
import { modelLiteral, vectorIndexName } from './store.ts';
import { codeTokens } from './tokens.ts';

export const FUSION_MODES = ['rrf', 'weighted'] as const;
export type FusionMode = (typeof FUSION_MODES)[number];

export interface SearchWeights {
  readonly keyword: number;
  readonly vector: number;
  readonly name: number;
  readonly graph: number;
}

export interface SearchOptions {
  readonly limit?: number;
  /** Languages to search; default `ts` and `py` (code). Add `md` for documentation. */
  readonly languages?: readonly string[];
  readonly kinds?: readonly string[];
  /** A glob on the repo-relative path (`src/kg/**`). */
  readonly path?: string;
  /** Every tag must be present (docs/specs/TAGS_V1.md). */
  readonly tags?: readonly string[];
  /** Vector retrieval; without one, keyword, name and graph signals only. */
  readonly embedder?: Embedder;
  readonly fusion?: FusionMode;
  readonly weights?: Partial<SearchWeights>;
  /** The RRF constant: 1 / (k + rank). */
  readonly rrfK?: number;
}

export const DEFAULT_LANGUAGES = ['ts', 'py'] as const;
export const DEFAULT_WEIGHTS: SearchWeights = { keyword: 1, vector: 1, name: 1, graph: 0.3 };
export const DEFAULT_RRF_K = 60;
// Candidates each retriever contributes before fusion and path filtering.
const CANDIDATES = 100;

export type NameMatch = 'exact' | 'prefix' | 'fuzzy';
export type VectorPath = 'pgvector-hnsw' | 'pgvector-exact' | 'exact-real[]' | 'none';

/** Why a hit ranks where it does: each signal's rank and raw score, and the fused score. */
export interface ScoreBreakdown {
  readonly keyword?: { readonly rank: number; readonly score: number };
  readonly vector?: { readonly rank: number; readonly score: number };
  readonly name?: { readonly rank: number; readonly match: NameMatch; readonly score: number };
  readonly graph?: { readonly inDegree: number; readonly score: number };
  readonly fused: number;
}

export interface SearchHit {
  readonly id: string;
  readonly objectId: string | null;
  readonly path: string;
  readonly startLine: number;
  readonly endLine: number;
  readonly language: string;
  readonly kind: string;
  readonly symbol: string | null;
  readonly name: string | null;
  readonly signature: string | null;
  readonly tags: readonly string[];
  readonly snippet: string;
  readonly score: number;
  readonly scores: ScoreBreakdown;
}

export interface SearchResult {
  readonly query: string;
  readonly hits: readonly SearchHit[];
  /** Which vector retrieval ran: pgvector with its HNSW index (or without one), exact scoring over real[], or none. */
  readonly vectorPath: VectorPath;
  readonly model: string | null;
  readonly fusion: FusionMode;
  readonly tookMs: number;
}

interface Filter {
  readonly sql: string;
  readonly params: unknown[];
}

function filterSql(options: SearchOptions, first: number, alias = 'c'): Filter {
  const params: unknown[] = [options.languages ?? DEFAULT_LANGUAGES];
  const parts = [`${alias}.language = any($${first}::text[])`];
  if (options.kinds && options.kinds.length > 0) {
    params.push(options.kinds);
    parts.push(`${alias}.kind = any($${first + params.length - 1}::text[])`);
  }
  if (options.tags && options.tags.length > 0) {
    params.push(options.tags);
    parts.push(`${alias}.tags @> $${first + params.length - 1}::text[]`);
  }
  return { sql: parts.join(' and '), params };
}

interface Ranked {
  readonly id: string;
  readonly score: number;
}

async function keywordCandidates(db: Db, query: string, options: SearchOptions): Promise<Ranked[]> {
  const tokens = [...new Set(codeTokens(query))];
  if (tokens.length === 0) return [];
  const f = filterSql(options, 3);
  // Code words match exactly (simple), prose words by stem (english); ts_rank normalization 1 divides
  // by 1 + log(length), a length penalty in the spirit of BM25.
  const { rows } = await db.query<Ranked>(
    `with q as (select to_tsquery('simple', $1) || to_tsquery('english', $1) as query)
     select c.id, ts_rank(c.keywords, q.query, 1) as score
       from search_chunks c, q
      where c.keywords @@ q.query and ${f.sql}
      order by score desc, c.id limit $2`,
    [tokens.join(' | '), CANDIDATES, ...f.params],
  );
  return rows.map((r) => ({ id: r.id, score: Number(r.score) }));
}

async function nameCandidates(
  db: Db,
  query: string,
  options: SearchOptions,
): Promise<Array<Ranked & { match: NameMatch }>> {
  const q = query.trim();
  if (!/^[\w$.#-]+$/.test(q)) return [];
  const f = filterSql(options, 3);
  const { rows } = await db.query<{ id: string; match: NameMatch; score: number }>(
    `select c.id,
            case when lower(c.name) = lower($1) or lower(c.symbol) = lower($1) then 'exact'
                 when lower(c.name) like lower($2) || '%' escape '\\' then 'prefix'
                 else 'fuzzy' end as match,
            similarity(lower(c.name), lower($1)) as score
       from search_chunks c
      where (lower(c.name) = lower($1) or lower(c.symbol) = lower($1)
             or lower(c.name) like lower($2) || '%' escape '\\' or lower(c.name) % lower($1))
        and ${f.sql}
      order by (case when lower(c.name) = lower($1) or lower(c.symbol) = lower($1) then 0
                     when lower(c.name) like lower($2) || '%' escape '\\' then 1 else 2 end),
               score desc, length(c.name), c.id
      limit ${CANDIDATES}`,
    [q, q.replace(/[\\%_]/g, (m) => `\\${m}`), ...f.params],
  );
  return rows.map((r) => ({ id: r.id, match: r.match, score: Number(r.score) }));
}

async function vectorCandidates(
  db: Db,
  query: string,
  options: SearchOptions,
): Promise<{ ranked: Ranked[]; path: VectorPath }> {
  const embedder = options.embedder;
  if (!embedder) return { ranked: [], path: 'none' };
  const storage = await vectorStorage(db);
  if (storage === 'none') return { ranked: [], path: 'none' };
  const [vector] = await embedder.embed([query]);
  if (!vector) return { ranked: [], path: 'none' };
  const f = filterSql(options, 3);
  const model = modelLiteral(embedder.model);
  if (storage === 'vector') {
    const dim = Math.floor(embedder.dimension);
    // HNSW returns at most ef_search rows (40 by default): ask for as many as the candidates wanted,
    // and let pgvector keep scanning when filters drop rows (iterative scans, pgvector >= 0.8).
    const rows = await db.transaction(async (tx) => {
      await tx.exec(
        `set local hnsw.ef_search = ${CANDIDATES * 2}; set local hnsw.iterative_scan = relaxed_order`,
      );
      const result = await tx.query<Ranked>(
        `select c.id, 1 - (e.embedding::vector(${dim}) <=> $1::vector(${dim})) as score
           from cbo_embeddings e join search_chunks c on c.id = e.owner_id
          where e.model = ${model} and ${f.sql}
          order by e.embedding::vector(${dim}) <=> $1::vector(${dim}) limit $2`,
        [`[${vector.join(',')}]`, CANDIDATES, ...f.params],
      );
      return result.rows;
    });
    const { rows: index } = await db.query('select 1 from pg_indexes where indexname = $1', [
      vectorIndexName(embedder.model, dim),
    ]);
    return {
      ranked: rows.map((r) => ({ id: r.id, score: Number(r.score) })),
      path: index.length > 0 ? 'pgvector-hnsw' : 'pgvector-exact',
    };
  }
  // Without pgvector: exact cosine (vectors are unit length, so the dot product) over real[].
  const { rows } = await db.query<Ranked>(
    `select c.id, (select sum(a * b) from unnest(e.embedding, $1::real[]) as t(a, b)) as score
       from cbo_embeddings e join search_chunks c on c.id = e.owner_id
      where e.model = ${model} and ${f.sql}
      order by score desc nulls last limit $2`,
    [`{${vector.join(',')}}`, CANDIDATES, ...f.params],
  );
  return { ranked: rows.map((r) => ({ id: r.id, score: Number(r.score) })), path: 'exact-real[]' };
}

interface ChunkRow {
  id: string;
  object_id: string | null;
  path: string;
  start_line: number;
  end_line: number;
  language: string;
  kind: string;
  symbol: string | null;
  name: string | null;
  signature: string | null;
  tags: string[];
  content: string;
  in_degree: number;
}

async function loadChunks(db: Db, ids: readonly string[]): Promise<Map<string, ChunkRow>> {
  const { rows } = await db.query<ChunkRow>(
    `select c.id, c.object_id, c.path, c.start_line, c.end_line, c.language, c.kind, c.symbol, c.name,
            c.signature, c.tags, c.content,
            (select count(*)::int from cbo_relations r where r.dst_id = c.object_id and r.kind <> 'contains') as in_degree
       from search_chunks c where c.id = any($1::text[])`,
    [ids],
  );
  return new Map(rows.map((r) => [r.id, r]));
}

function minMax(values: readonly number[]): (v: number) => number {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return (v) => (hi > lo ? (v - lo) / (hi - lo) : 1);
}

/**
 * Hybrid code search: keyword (identifier-split tsvector), name (exact, prefix, trigram), vector
 * (pgvector HNSW or exact over real[]) and graph (in-degree) signals fused by reciprocal rank
 * (or a weighted sum of normalized scores). Exact name matches rank first, then prefix matches.
 *
 * @example
 * const result = await searchCode(db, 'loadConfig', { embedder, limit: 10 });
 */
export async function searchCode(db: Db, query: string, options: SearchOptions = {}): Promise<SearchResult> {
  const t0 = performance.now();
  const fusion = options.fusion ?? 'rrf';
  const weights = { ...DEFAULT_WEIGHTS, ...options.weights };
  const k = options.rrfK ?? DEFAULT_RRF_K;
  const [keyword, name, vector] = await Promise.all([
    keywordCandidates(db, query, options),
    nameCandidates(db, query, options),
    vectorCandidates(db, query, options),
  ]);
  const ids = [
    ...new Set([...name.map((r) => r.id), ...keyword.map((r) => r.id), ...vector.ranked.map((r) => r.id)]),
  ];
  const chunks = await loadChunks(db, ids);
  const inPath = options.path ? picomatch(options.path, { dot: true }) : () => true;
  const maxDegree = Math.max(1, ...[...chunks.values()].map((c) => c.in_degree));
  const kwNorm = minMax(keyword.map((r) => r.score));
  const vecNorm = minMax(vector.ranked.map((r) => r.score));
  const byId = <T extends Ranked>(list: readonly T[]) =>
    new Map(list.map((r, i) => [r.id, { ...r, rank: i + 1 }]));
  const kw = byId(keyword);
  const nm = byId(name);
  const vec = byId(vector.ranked);

  const hits: SearchHit[] = [];
  for (const id of ids) {
    const c = chunks.get(id);
    if (!c || !inPath(c.path)) continue;
    const k1 = kw.get(id);
    const n1 = nm.get(id);
    const v1 = vec.get(id);
    const graphScore = Math.log1p(c.in_degree) / Math.log1p(maxDegree);
    const contrib = (w: number, rank: number | undefined, norm: number | undefined) =>
      rank === undefined ? 0 : fusion === 'rrf' ? w / (k + rank) : w * (norm ?? 0);
    const fused =
      contrib(weights.keyword, k1?.rank, k1 ? kwNorm(k1.score) : undefined) +
      contrib(weights.vector, v1?.rank, v1 ? vecNorm(v1.score) : undefined) +
      contrib(weights.name, n1?.rank, n1?.score) +
      // Graph centrality alone finds nothing; it orders what the other signals found.
      (k1 || n1 || v1 ? weights.graph * graphScore * (fusion === 'rrf' ? 1 / (k + 1) : 1) : 0);
    const scores: ScoreBreakdown = {
      ...(k1 ? { keyword: { rank: k1.rank, score: k1.score } } : {}),
      ...(v1 ? { vector: { rank: v1.rank, score: v1.score } } : {}),
      ...(n1 ? { name: { rank: n1.rank, match: n1.match, score: n1.score } } : {}),
      ...(c.object_id ? { graph: { inDegree: c.in_degree, score: graphScore } } : {}),
      fused,
    };
    hits.push({
      id,
      objectId: c.object_id,
      path: c.path,
      startLine: c.start_line,
      endLine: c.end_line,
      language: c.language,
      kind: c.kind,
      symbol: c.symbol,
      name: c.name,
      signature: c.signature,
      tags: c.tags,
      snippet: c.content.split('\n').slice(0, 6).join('\n'),
      score: fused,
      scores,
    });
  }
  const tier = (h: SearchHit) =>
    h.scores.name?.match === 'exact' ? 0 : h.scores.name?.match === 'prefix' ? 1 : 2;
  hits.sort((a, b) => tier(a) - tier(b) || b.score - a.score || (a.id < b.id ? -1 : 1));
  const result: SearchResult = {
    query,
    hits: hits.slice(0, options.limit ?? 10),
    vectorPath: vector.path,
    model: options.embedder?.model ?? null,
    fusion,
    tookMs: Math.round((performance.now() - t0) * 10) / 10,
  };
  recordSearch(result);
  return result;
}
