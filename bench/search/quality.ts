/**
 * Retrieval quality: runs each query through cogo's `searchCode` in several modes and through the
 * file-level baselines, and scores the ranks (MRR@10, Recall@1, Recall@10) at symbol and file level.
 */
import type { Db } from '../../src/db/index.ts';
import {
  codeTokens,
  type Embedder,
  type SearchHit,
  type SearchOptions,
  searchCode,
} from '../../src/search/index.ts';
import { STOP_WORDS } from './baselines.ts';
import type { Query } from './dataset.ts';

export interface Metrics {
  readonly n: number;
  readonly mrr10: number;
  readonly recall1: number;
  readonly recall10: number;
}

/** Ranks are 1-based; null when the answer is not among the results at all. */
export function metrics(ranks: ReadonlyArray<number | null>): Metrics {
  const n = ranks.length;
  const within = (k: number) => ranks.filter((r) => r !== null && r <= k).length / Math.max(1, n);
  const mrr = ranks.reduce<number>((s, r) => s + (r !== null && r <= 10 ? 1 / r : 0), 0) / Math.max(1, n);
  const round = (x: number) => Math.round(x * 10_000) / 10_000;
  return { n, mrr10: round(mrr), recall1: round(within(1)), recall10: round(within(10)) };
}

export const COGO_MODES = ['keyword', 'vector', 'fused', 'fusedNoGraph', 'rrf', 'fusedNoEmbedder'] as const;
export type CogoMode = (typeof COGO_MODES)[number];

export const MODE_LABELS: Record<CogoMode, string> = {
  keyword: 'cogo keyword only',
  vector: 'cogo vector only (local embedder)',
  fused: 'cogo fused (defaults: weighted sum, local embedder)',
  fusedNoGraph: 'cogo fused, graph weight 0 (diagnostic)',
  rrf: 'cogo reciprocal-rank fusion (`fusion: rrf`, local embedder)',
  fusedNoEmbedder: 'cogo fused without an embedder (keyword + name + graph)',
};

export function modeOptions(mode: CogoMode, embedder: Embedder): SearchOptions {
  const only = (signal: 'keyword' | 'vector') => ({
    keyword: signal === 'keyword' ? 1 : 0,
    vector: signal === 'vector' ? 1 : 0,
    name: 0,
    graph: 0,
  });
  switch (mode) {
    case 'keyword':
      return { weights: only('keyword') };
    case 'vector':
      return { embedder, weights: only('vector') };
    case 'fused':
      return { embedder };
    case 'fusedNoGraph':
      return { embedder, weights: { graph: 0 } };
    case 'rrf':
      return { embedder, fusion: 'rrf' };
    case 'fusedNoEmbedder':
      return {};
  }
}

export interface QueryOutcome {
  readonly symbolRank: number | null;
  readonly fileRank: number | null;
  /** The first three hits, for the record of misses. */
  readonly top: string[];
  /** Characters of the first hit's chunk. */
  readonly firstLength: number | null;
}

export interface CogoQuality {
  readonly symbol: Record<CogoMode, Metrics>;
  readonly file: Record<CogoMode, Metrics>;
  readonly vectorPaths: string[];
  /** Most vector candidates any query got (searchCode asks for 100). */
  readonly maxVectorCandidates: number;
  readonly outcomes: Record<CogoMode, QueryOutcome[]>;
  /** Per query: the share of its content words found in the expected symbol's chunks (see lexicalOverlap). */
  readonly overlap: number[];
  /** Median characters of: every chunk, each query's expected chunk, each mode's first hit. */
  readonly medianLength: {
    readonly all: number;
    readonly expected: number;
    readonly firstHit: Record<CogoMode, number>;
  };
}

export interface ChunkText {
  id: string;
  path: string;
  symbol: string | null;
  start_line: number;
  content: string;
  signature: string | null;
}

const crudeStem = (w: string) => w.replace(/(?:ing|ed|es|s)$/, '');
const medianOf = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor(s.length / 2)]!;
};

/**
 * How much of a query the answer's code says in words: the share of the query's content words
 * (3+ letters, stop words out, a crude -s/-es/-ed/-ing stem) that occur among the code tokens
 * (identifier parts included) of the expected symbol's chunks. 0 means no word in common.
 */
export function lexicalOverlap(q: Query, chunks: readonly ChunkText[]): number {
  const words = [...new Set(q.text.toLowerCase().match(/[a-z0-9]+/g) ?? [])]
    .filter((w) => w.length > 2 && !STOP_WORDS.has(w))
    .map(crudeStem);
  const text = chunks
    .filter((c) => c.path === q.file && c.symbol === q.symbol)
    .map((c) => `${c.symbol} ${c.signature ?? ''} ${c.content}`)
    .join('\n');
  const tokens = new Set(codeTokens(text).map(crudeStem));
  return words.length === 0 ? 0 : words.filter((w) => tokens.has(w)).length / words.length;
}

/** Rank of the expected symbol, and of the expected file among distinct files, in the hits. */
export function ranksOf(
  hits: readonly SearchHit[],
  q: Query,
): { symbolRank: number | null; fileRank: number | null } {
  const s = hits.findIndex((h) => h.path === q.file && h.symbol === q.symbol);
  const files = [...new Set(hits.map((h) => h.path))];
  const f = files.indexOf(q.file);
  return { symbolRank: s >= 0 ? s + 1 : null, fileRank: f >= 0 ? f + 1 : null };
}

/**
 * Every query in every mode, 100 hits each (so files can be ranked past 10 chunks). Hits with a
 * fused score of 0 are dropped: with a signal's weight at 0, searchCode still lists the candidates
 * that only that signal found, at score 0, after the others.
 */
export async function evaluateCogo(
  db: Db,
  queries: readonly Query[],
  embedder: Embedder,
): Promise<CogoQuality> {
  const outcomes = Object.fromEntries(COGO_MODES.map((m) => [m, [] as QueryOutcome[]])) as Record<
    CogoMode,
    QueryOutcome[]
  >;
  const paths = new Set<string>();
  let maxVector = 0;
  const chunks = await loadChunkTexts(db);
  // Every expected answer must be a chunk cogo made, or the query could not be answered at all.
  const symbols = new Set(chunks.map((c) => `${c.path}\u0000${c.symbol}`));
  const unanswerable = queries.filter((q) => !symbols.has(`${q.file}\u0000${q.symbol}`));
  if (unanswerable.length > 0)
    throw new Error(
      `${unanswerable.length} expected symbols have no chunk: ${unanswerable
        .slice(0, 5)
        .map((q) => `${q.file} ${q.symbol}`)
        .join(', ')}`,
    );
  const lengthOf = new Map(chunks.map((c) => [c.id, c.content.length]));
  for (const q of queries) {
    for (const mode of COGO_MODES) {
      const result = await searchCode(db, q.text, { ...modeOptions(mode, embedder), limit: 100 });
      const hits = result.hits.filter((h) => h.score > 0);
      if (mode === 'vector') {
        paths.add(result.vectorPath);
        maxVector = Math.max(maxVector, hits.filter((h) => h.scores.vector).length);
      }
      outcomes[mode].push({
        ...ranksOf(hits, q),
        top: hits.slice(0, 3).map((h) => `${h.symbol} (${h.path}:${h.startLine})`),
        firstLength: hits[0] ? (lengthOf.get(hits[0].id) ?? null) : null,
      });
    }
  }
  const by = (key: 'symbolRank' | 'fileRank') =>
    Object.fromEntries(COGO_MODES.map((m) => [m, metrics(outcomes[m].map((o) => o[key]))])) as Record<
      CogoMode,
      Metrics
    >;
  return {
    symbol: by('symbolRank'),
    file: by('fileRank'),
    vectorPaths: [...paths],
    maxVectorCandidates: maxVector,
    outcomes,
    overlap: queries.map((q) => Math.round(lexicalOverlap(q, chunks) * 1000) / 1000),
    medianLength: {
      all: medianOf(chunks.map((c) => c.content.length)),
      // The symbol's first chunk (its whole body, or the first part of a long one).
      expected: medianOf(
        queries.map(
          (q) => chunks.find((c) => c.path === q.file && c.symbol === q.symbol)?.content.length ?? 0,
        ),
      ),
      firstHit: Object.fromEntries(
        COGO_MODES.map((m) => [
          m,
          medianOf(outcomes[m].flatMap((o) => (o.firstLength === null ? [] : [o.firstLength]))),
        ]),
      ) as Record<CogoMode, number>,
    },
  };
}

/** Every chunk's text and where it belongs. */
export async function loadChunkTexts(db: Db): Promise<ChunkText[]> {
  const { rows } = await db.query<ChunkText>(
    'select id, path, symbol, start_line, content, signature from search_chunks order by path, start_line, id',
  );
  return rows;
}

/** Symbol rank of each query's expected symbol when a ranking returns chunk ids (first chunk of the symbol counts). */
export function evaluateChunks(
  queries: readonly Query[],
  chunks: readonly ChunkText[],
  rank: (q: string) => string[],
): Array<number | null> {
  const byId = new Map(chunks.map((c) => [c.id, c]));
  return queries.map((q) => {
    const i = rank(q.text).findIndex((id) => {
      const c = byId.get(id);
      return c?.path === q.file && c.symbol === q.symbol;
    });
    return i >= 0 ? i + 1 : null;
  });
}

/** File rank of each query's expected file in a baseline's ranking. */
export function evaluateFiles(
  queries: readonly Query[],
  rank: (q: string) => string[],
): Array<number | null> {
  return queries.map((q) => {
    const i = rank(q.text).indexOf(q.file);
    return i >= 0 ? i + 1 : null;
  });
}
