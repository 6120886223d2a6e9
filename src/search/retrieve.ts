import picomatch from 'picomatch';
import { type Db, vectorStorage } from '../db/index.ts';
import type { Embedder } from './embedder.ts';
import { recordSearch } from './metrics.ts';
import { modelLiteral, vectorIndexName } from './store.ts';
import { codeTokens } from './tokens.ts';
import { readVectorIndexState, usesVectorIndex } from './vector-plan.ts';
import { DEFAULT_VECTOR_MEMORY_BYTES, scanVectors } from './vector-scan.ts';

export const FUSION_MODES = ['rrf', 'weighted'] as const;
export type FusionMode = (typeof FUSION_MODES)[number];
/**
 * A weighted sum of min-max-normalized scores (a convex combination) by default: it ranked the
 * expected symbol higher than reciprocal-rank fusion on the development set and on both held-out
 * packages of bench:search, and on this repository's own scenarios (SEARCH_V1.md, BENCHMARKS.md).
 */
export const DEFAULT_FUSION: FusionMode = 'weighted';

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
  /**
   * Without pgvector: the most memory (bytes) the in-process vector scan may hold per database and
   * model; past it, or at 0, vectors are scored in SQL. Default `DEFAULT_VECTOR_MEMORY_BYTES` (1 GiB).
   */
  readonly vectorMemoryBytes?: number;
  /** Postings the keyword retriever reads per query term; default `KEYWORD_POSTINGS_PER_TERM`. */
  readonly postingsPerTerm?: number;
}

export const DEFAULT_LANGUAGES = ['ts', 'py'] as const;
// The graph's in-degree breaks ties by default; a positive weight makes it a fused signal.
export const DEFAULT_WEIGHTS: SearchWeights = { keyword: 1, vector: 1, name: 1, graph: 0 };
export const DEFAULT_RRF_K = 60;
// Candidates each retriever contributes before fusion and path filtering.
const CANDIDATES = 100;

/** exact, prefix, fuzzy: a one-identifier query; mentioned: an identifier a sentence writes in code form. */
export type NameMatch = 'exact' | 'prefix' | 'fuzzy' | 'mentioned';
export const VECTOR_PATHS = [
  'pgvector-hnsw',
  'pgvector-exact',
  'exact-memory',
  'exact-real[]',
  'none',
] as const;
/** How vector retrieval ran (SEARCH_V1.md). */
export type VectorPath = (typeof VECTOR_PATHS)[number];

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
  /**
   * Which vector retrieval ran: pgvector with its HNSW index (or without one), exact scoring in this
   * process (`exact-memory`) or in SQL over real[] (`exact-real[]`), or none.
   */
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

/** Okapi BM25 parameters: term-frequency saturation and length normalisation. */
export const BM25 = { k1: 1.2, b: 0.75 } as const;
/**
 * Field weights of the keyword score (BM25F-style): an occurrence of a query word in the symbol's
 * name counts this many times, in its signature this many; elsewhere once. Set a priori (title
 * boosts of 2-3 are the usual BM25F choice), not fitted to any query set. Migration 00010 applies
 * them when it writes each posting's term frequency (`search_posting_tf`); a test checks the two agree.
 */
export const FIELD_BOOST = { name: 3, signature: 2 } as const;
/**
 * Postings the keyword retriever reads per query term, highest BM25 term weight first
 * (`search_postings_read_idx`). A term in no more chunks than this is read whole, so the score is
 * exact BM25; past it, the term's best chunks, the others scored without it. It bounds the cost of a
 * query by its number of terms, whatever the corpus size. 300 and not 1,000: at 100k chunks the
 * keyword statement's p95 was 14.9 against 35.7 ms, and on the quality sets (where 300 cuts the
 * lists of terms in more than a quarter of the chunks) MRR@10 moved by 0.7 % at most (SEARCH_V1.md).
 */
export const KEYWORD_POSTINGS_PER_TERM = 300;

/**
 * Keyword retrieval ranked by Okapi BM25 over the chunks' keyword vectors, read from their postings
 * (migration 00010) with document frequencies and lengths kept exact by triggers (00004). For each
 * of the query's terms, its postings with the highest term weight, up to `KEYWORD_POSTINGS_PER_TERM`;
 * the chunks they name are scored on every term they were read for. One statement: the query's
 * terms, their statistics and the scores (a second round trip cost 2-10 ms on a busy server).
 */
export async function keywordCandidates(db: Db, query: string, options: SearchOptions): Promise<Ranked[]> {
  const text = [...new Set(codeTokens(query))].join(' ');
  if (text.length === 0) return [];
  const f = filterSql(options, 5);
  const { rows } = await db.query<Ranked>(
    `with words as (
       select t.term, to_tsvector('english', t.term) <> ''::tsvector as content
         from unnest(tsvector_to_array(to_tsvector('simple', $1))) as t(term)
     ), q as (
       -- English stop words are rare in code, so BM25 would weigh them high: they count only
       -- when the query has nothing else (\`from\`, \`of\`).
       select term from words where content or not exists (select 1 from words where content)
       union
       select t.term from unnest(tsvector_to_array(to_tsvector('english', $1))) as t(term)
     ), terms as (
       select q.term, ln(1 + (st.chunks::float8 - s.df + 0.5) / (s.df + 0.5)) as idf,
              greatest(1, st.total_len / greatest(1, st.chunks))::float8 as avg_len
         from q join search_terms s on s.term = q.term cross join search_stats st
        where s.df > 0
     ), scored as (
       select p.chunk_seq,
              sum(t.idf * p.tf * ($3::float8 + 1)
                  / (p.tf + $3::float8 * (1 - $4::float8 + $4::float8 * p.len / t.avg_len))) as score
         from terms t cross join lateral (
           select p.chunk_seq, p.tf, p.len from search_postings p
            where p.term = t.term order by p.impact desc limit $2
         ) as p
        group by p.chunk_seq
     )
     -- Best first, equal scores in the order the chunks were written; filtered one by one until
     -- enough pass.
     select c.id, s.score
       from (select chunk_seq, score from scored order by score desc, chunk_seq) as s
       cross join lateral (select c.id from search_chunks c where c.seq = s.chunk_seq and ${f.sql}) as c
      limit ${CANDIDATES}`,
    [text, options.postingsPerTerm ?? KEYWORD_POSTINGS_PER_TERM, BM25.k1, BM25.b, ...f.params],
  );
  return rows.map((r) => ({ id: r.id, score: Number(r.score) }));
}

const IDENTIFIER_QUERY = /^[\w$.#-]+$/;
// Fewer exact and prefix matches than this, and trigram matches are added.
const FUZZY_BELOW = 10;
// Similar names read for typo matches (each may name several chunks).
const FUZZY_NAMES = 2 * CANDIDATES;
// A word in a sentence that is plainly code: camelCase, snake_case, \`$\`, a dotted or called name.
const CODE_WORD = /(?<![\w$.])([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)(\(\))?/g;

/** Identifiers a sentence names in code form (`mergeMap`, `load_config`, `Foo.bar`, `run()`). */
export function codeWordsOf(query: string): string[] {
  const out = new Set<string>();
  for (const m of query.matchAll(CODE_WORD)) {
    const word = m[1]!;
    if (/[a-z][A-Z]|[_$]|\./.test(word) || m[2]) out.add(word);
  }
  return [...out];
}

/**
 * Name retrieval. A one-identifier query matches names exactly, by prefix and by trigram
 * similarity; a sentence matches exactly the identifiers it writes in code form. Only the first
 * kind puts exact and prefix matches ahead of everything (a sentence may mention a symbol to
 * contrast it: "like mergeMap, but ...").
 */
async function nameCandidates(
  db: Db,
  query: string,
  options: SearchOptions,
): Promise<Array<Ranked & { match: NameMatch }>> {
  const q = query.trim();
  const f = filterSql(options, 3);
  if (!IDENTIFIER_QUERY.test(q)) {
    const words = codeWordsOf(q).map((w) => w.toLowerCase());
    if (words.length === 0) return [];
    const { rows } = await db.query<{ id: string }>(
      `select c.id from search_chunks c
        where (lower(c.name) = any($1::text[]) or lower(c.symbol) = any($1::text[])) and ${f.sql}
        order by array_position($1::text[], lower(c.name)), c.id
        limit $2`,
      [words, CANDIDATES, ...f.params],
    );
    return rows.map((r) => ({ id: r.id, match: 'mentioned' as const, score: 1 }));
  }
  const prefix = q.replace(/[\\%_]/g, (m) => `\\${m}`);
  const { rows } = await db.query<{ id: string; match: NameMatch; score: number }>(
    `select c.id,
            case when lower(c.name) = lower($1) or lower(c.symbol) = lower($1) then 'exact' else 'prefix' end as match,
            similarity(lower(c.name), lower($1)) as score
       from search_chunks c
      where (lower(c.name) = lower($1) or lower(c.symbol) = lower($1) or lower(c.name) like lower($2) || '%' escape '\\')
        and ${f.sql}
      order by (case when lower(c.name) = lower($1) or lower(c.symbol) = lower($1) then 0 else 1 end),
               score desc, length(c.name), c.id
      limit ${CANDIDATES}`,
    [q, prefix, ...f.params],
  );
  // Typos: trigram similarity, only when no name matches exactly and prefix matches are few (on a
  // large corpus a similarity search reads thousands of names: 51 ms for one at 100k chunks whose
  // words end many names).
  if (rows.length >= FUZZY_BELOW || rows.some((r) => r.match === 'exact'))
    return rows.map((r) => ({ id: r.id, match: r.match, score: Number(r.score) }));
  // The similar names first (search_names: one narrow row per distinct name), then their chunks.
  const { rows: fuzzy } = await db.query<{ id: string; score: number }>(
    `with alike as (
       select n.name, similarity(n.name, lower($1)) as score
         from search_names n
        where n.name % lower($1)
        order by score desc, length(n.name), n.name
        limit ${FUZZY_NAMES}
     )
     select c.id, s.score
       from alike s join search_chunks c on lower(c.name) = s.name
      where not (c.id = any($2::text[])) and ${f.sql}
      order by s.score desc, length(c.name), c.id
      limit ${CANDIDATES}`,
    [q, rows.map((r) => r.id), ...f.params],
  );
  return [
    ...rows.map((r) => ({ id: r.id, match: r.match, score: Number(r.score) })),
    ...fuzzy.map((r) => ({ id: r.id, match: 'fuzzy' as const, score: Number(r.score) })),
  ].slice(0, CANDIDATES);
}

/**
 * Vector retrieval: pgvector (HNSW or exact) where the database has it; without it, exact scoring in
 * this process (vector-scan.ts) within the memory budget, else in SQL over real[].
 */
export async function vectorCandidates(
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
    const indexName = vectorIndexName(embedder.model, dim);
    const sql = `select c.id, 1 - (e.embedding::vector(${dim}) <=> $1::vector(${dim})) as score
           from cbo_embeddings e join search_chunks c on c.id = e.owner_id
          where e.model = ${model} and ${f.sql}
          order by e.embedding::vector(${dim}) <=> $1::vector(${dim}) limit $2`;
    const params = [`[${vector.join(',')}]`, CANDIDATES, ...f.params];
    // HNSW returns at most ef_search rows (40 by default): ask for as many as the candidates wanted,
    // and let pgvector keep scanning when filters drop rows (iterative scans, pgvector >= 0.8).
    return db.transaction(async (tx) => {
      await tx.exec(
        `set local hnsw.ef_search = ${CANDIDATES * 2}; set local hnsw.iterative_scan = relaxed_order`,
      );
      const { rows } = await tx.query<Ranked>(sql, params);
      // The label says what ran: HNSW only when the index exists and the planner reads it.
      const state = await readVectorIndexState(tx, indexName, embedder.model);
      const key = `${embedder.model}\u0000${dim}\u0000${state.generation}\u0000${f.sql}\u0000${JSON.stringify(f.params)}`;
      const hnsw = state.hasIndex && (await usesVectorIndex(db, tx, key, indexName, sql, params));
      return {
        ranked: rows.map((r) => ({ id: r.id, score: Number(r.score) })),
        path: hnsw ? ('pgvector-hnsw' as const) : ('pgvector-exact' as const),
      };
    });
  }
  // Without pgvector: exact cosine (vectors are unit length, so the dot product), in this process
  // while the model's vectors fit the memory budget, else in SQL over real[].
  const memoryBytes = options.vectorMemoryBytes ?? DEFAULT_VECTOR_MEMORY_BYTES;
  if (memoryBytes > 0) {
    const hits = await scanVectors(db, {
      model: embedder.model,
      vector,
      limit: CANDIDATES,
      memoryBytes,
      keep: async (ids) => {
        const g = filterSql(options, 2);
        const { rows } = await db.query<{ id: string }>(
          `select c.id from search_chunks c where c.id = any($1::text[]) and ${g.sql}`,
          [ids, ...g.params],
        );
        return new Set(rows.map((r) => r.id));
      },
      allowed: async () => {
        const g = filterSql(options, 1);
        const { rows } = await db.query<{ id: string }>(
          `select c.id from search_chunks c where ${g.sql}`,
          g.params,
        );
        return new Set(rows.map((r) => r.id));
      },
    });
    if (hits) return { ranked: hits, path: 'exact-memory' };
  }
  const { rows } = await db.query<Ranked>(
    `select c.id, (select sum(a * b) from unnest(e.embedding, $1::real[]) as t(a, b)) as score
       from cbo_embeddings e join search_chunks c on c.id = e.owner_id
      where e.model = ${model} and ${f.sql}
      order by score desc nulls last, c.id limit $2`,
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
  if (ids.length === 0) return new Map();
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

const SNIPPET_LINES = 6;

/** The first lines of a chunk from its code on: a doc comment above a declaration is left out (the chunk keeps it). */
function snippetOf(content: string): string {
  const lines = content.split('\n');
  let start = 0;
  if (lines[0]?.trimStart().startsWith('/*')) {
    while (start < lines.length && !lines[start]!.includes('*/')) start++;
    start++;
  }
  while (
    start < lines.length &&
    lines[start]!.trimStart().startsWith('//') &&
    !lines[start]!.startsWith('// module ')
  )
    start++;
  if (start >= lines.length) start = 0;
  return lines.slice(start, start + SNIPPET_LINES).join('\n');
}

/**
 * Hybrid code search: keyword (identifier-split tsvector), name (exact, prefix, trigram), vector
 * (pgvector HNSW or exact over real[]) and graph (in-degree) signals fused by a weighted sum of
 * normalized scores (or by reciprocal rank). Exact name matches rank first, then prefix matches.
 *
 * @example
 * const result = await searchCode(db, 'loadConfig', { embedder, limit: 10 });
 */
export async function searchCode(db: Db, query: string, options: SearchOptions = {}): Promise<SearchResult> {
  const t0 = performance.now();
  const fusion = options.fusion ?? DEFAULT_FUSION;
  const weights = { ...DEFAULT_WEIGHTS, ...options.weights };
  const k = options.rrfK ?? DEFAULT_RRF_K;
  // On a server, each retriever's chunks are loaded as soon as it is done, on the pool, while the
  // others still run (the slowest retriever then waits for only its own new chunks); PGlite runs one
  // statement at a time, where one load for all is cheaper.
  const pipelined = db.dialect === 'postgres';
  const chunks = new Map<string, ChunkRow>();
  const requested = new Set<string>();
  const loadNew = async <T extends { readonly ranked: readonly Ranked[] }>(found: T): Promise<T> => {
    if (!pipelined) return found;
    const ids = found.ranked.map((r) => r.id).filter((id) => !requested.has(id));
    for (const id of ids) requested.add(id);
    for (const [id, row] of await loadChunks(db, ids)) chunks.set(id, row);
    return found;
  };
  const [{ ranked: keyword }, { ranked: name }, vector] = await Promise.all([
    keywordCandidates(db, query, options).then((ranked) => loadNew({ ranked })),
    nameCandidates(db, query, options).then((ranked) => loadNew({ ranked })),
    vectorCandidates(db, query, options).then(loadNew),
  ]);
  const ids = [
    ...new Set([...name.map((r) => r.id), ...keyword.map((r) => r.id), ...vector.ranked.map((r) => r.id)]),
  ];
  if (!pipelined) for (const [id, row] of await loadChunks(db, ids)) chunks.set(id, row);
  const inPath = options.path ? picomatch(options.path, { dot: true }) : () => true;
  const maxDegree = Math.max(1, ...[...chunks.values()].map((c) => c.in_degree));
  const kwNorm = minMax(keyword.map((r) => r.score));
  const vecNorm = minMax(vector.ranked.map((r) => r.score));
  // Keyword and vector lists come best first by score: equal scores share a rank (1, 2, 2, 4), so
  // their fused scores tie too. Name lists are ordered by match kind, so position is the rank.
  const byId = <T extends Ranked>(list: readonly T[], byScore: boolean) => {
    const out = new Map<string, T & { rank: number }>();
    list.forEach((r, i) => {
      const previous = i > 0 ? out.get(list[i - 1]!.id) : undefined;
      const rank = byScore && previous && previous.score === r.score ? previous.rank : i + 1;
      out.set(r.id, { ...r, rank });
    });
    return out;
  };
  const kw = byId(keyword, true);
  const nm = byId(name, false);
  const vec = byId(vector.ranked, true);

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
      snippet: snippetOf(c.content),
      score: fused,
      scores,
    });
  }
  const tier = (h: SearchHit) =>
    h.scores.name?.match === 'exact' ? 0 : h.scores.name?.match === 'prefix' ? 1 : 2;
  // Equal scores go to the more central symbol (more incoming calls, imports, type uses).
  const inDegree = (h: SearchHit) => h.scores.graph?.inDegree ?? 0;
  hits.sort(
    (a, b) => tier(a) - tier(b) || b.score - a.score || inDegree(b) - inDegree(a) || (a.id < b.id ? -1 : 1),
  );
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
