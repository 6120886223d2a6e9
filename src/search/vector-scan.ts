import { type Db, vectorStorage } from '../db/index.ts';
import { ColumnMatrix } from './column-matrix.ts';
import { VectorScanError } from './errors.ts';
import { float4Number, topK } from './top-k.ts';

/** Default memory budget of the in-process vector scan, per database and model: 1 GiB. */
export const DEFAULT_VECTOR_MEMORY_BYTES = 2 ** 30;
// Rows per page of the load (keyset on owner_id): of 1k, 5k and 20k, 5k loaded 100k x 384 fastest.
const PAGE_ROWS = 5000;
// Bytes a row costs beside its floats and its score slot: its id string and the array slot (an
// estimate for the budget).
const ROW_OVERHEAD_BYTES = 96;
// array_send(real[]): a 20-byte header (ndim, flags, element type, length, lower bound), then per
// element a 4-byte length and the big-endian float4.
const ARRAY_SEND_HEADER_BYTES = 20;

/** One model's vectors as loaded, with the generation (migration 00006) they are current for. */
interface LoadedIndex {
  readonly kind: 'loaded';
  readonly generation: number;
  readonly ids: readonly string[];
  readonly matrix: ColumnMatrix;
  readonly loadMs: number;
}

/** Too many vectors for the budget at this generation: the SQL path runs until the generation moves. */
interface OverBudget {
  readonly kind: 'over-budget';
  readonly generation: number;
  readonly bytes: number;
}

type IndexState = LoadedIndex | OverBudget;

interface Entry {
  state: IndexState | undefined;
  /** The load in flight: concurrent searches wait for this one instead of starting their own. */
  loading: Promise<IndexState> | undefined;
  loads: number;
}

const entries = new WeakMap<Db, Map<string, Entry>>();

function entryFor(db: Db, model: string, dimension: number): Entry {
  let byModel = entries.get(db);
  if (!byModel) {
    byModel = new Map();
    entries.set(db, byModel);
  }
  const key = `${model}\u0000${dimension}`;
  let entry = byModel.get(key);
  if (!entry) {
    entry = { state: undefined, loading: undefined, loads: 0 };
    byModel.set(key, entry);
  }
  return entry;
}

/** The model's embedding generation: bumped by every statement that changes its vectors (00006). */
export async function readEmbeddingGeneration(db: Db, model: string): Promise<number> {
  const { rows } = await db.query<{ generation: string }>(
    'select generation from cbo_embedding_generations where model = $1',
    [model],
  );
  return Number(rows[0]?.generation ?? 0);
}

/**
 * Reads one model's vectors of one dimension into a column-major matrix, in one repeatable-read
 * transaction, so the rows and the generation read with them are one snapshot. Nothing is loaded
 * when they would exceed `memoryBytes`.
 */
async function loadVectors(
  db: Db,
  model: string,
  dimension: number,
  memoryBytes: number,
): Promise<IndexState> {
  const t0 = performance.now();
  return db.transaction(async (tx) => {
    await tx.exec('set transaction isolation level repeatable read, read only');
    const generation = await readEmbeddingGeneration(tx, model);
    const { rows: count } = await tx.query<{ n: number }>(
      'select count(*)::int as n from cbo_embeddings where model = $1 and dim = $2',
      [model, dimension],
    );
    const n = count[0]?.n ?? 0;
    const bytes = n * ((dimension + 1) * 4 + ROW_OVERHEAD_BYTES);
    if (bytes > memoryBytes) return { kind: 'over-budget', generation, bytes } as const;
    const matrix = new ColumnMatrix(n, dimension);
    const ids: string[] = [];
    let after = '';
    while (ids.length < n) {
      // array_send: binary float4s, 2-3x faster to move and parse than real[]'s text (BENCHMARKS.md).
      const { rows } = await tx.query<{ owner_id: string; v: Uint8Array }>(
        `select owner_id, array_send(embedding) as v from cbo_embeddings
          where model = $1 and dim = $2 and owner_id > $3 order by owner_id limit ${PAGE_ROWS}`,
        [model, dimension, after],
      );
      if (rows.length === 0) break;
      for (const row of rows) {
        const i = ids.length;
        if (i >= n) break;
        const view = new DataView(row.v.buffer, row.v.byteOffset, row.v.byteLength);
        for (let d = 0; d < dimension; d++)
          matrix.set(i, d, view.getFloat32(ARRAY_SEND_HEADER_BYTES + d * 8 + 4, false));
        ids.push(row.owner_id);
      }
      after = rows.at(-1)!.owner_id;
    }
    // One snapshot: the pages hold exactly the rows counted.
    if (ids.length !== n)
      throw new VectorScanError(`vector scan: counted ${n} vectors of ${model}, read ${ids.length}`);
    return { kind: 'loaded', generation, ids, matrix, loadMs: performance.now() - t0 } as const;
  });
}

/** The index current for `generation` (or newer), loading it once however many searches ask. */
async function currentIndex(
  db: Db,
  model: string,
  dimension: number,
  generation: number,
  memoryBytes: number,
): Promise<IndexState> {
  const entry = entryFor(db, model, dimension);
  for (;;) {
    const state = entry.state;
    // Generations only grow: an index loaded at or after the one this search read is current for it.
    if (state && state.generation >= generation) {
      if (state.kind === 'loaded' || state.bytes > memoryBytes) return state;
    }
    if (!entry.loading) {
      const loading = loadVectors(db, model, dimension, memoryBytes);
      entry.loading = loading;
      entry.loads++;
      loading
        .then(
          (s) => {
            entry.state = s;
          },
          () => undefined,
        )
        .finally(() => {
          if (entry.loading === loading) entry.loading = undefined;
        });
    }
    const loaded = await entry.loading;
    if (loaded.generation >= generation) {
      entry.state = loaded;
      return loaded;
    }
  }
}

/** A vector candidate: a chunk id and its cosine similarity (the dot product of unit vectors). */
export interface VectorScanHit {
  readonly id: string;
  readonly score: number;
}

export interface VectorScanOptions {
  readonly model: string;
  readonly vector: readonly number[];
  /** How many candidates to return. */
  readonly limit: number;
  /** The scan's memory budget in bytes; past it, `scanVectors` returns `null`. */
  readonly memoryBytes: number;
  /** The ids, of those given, whose chunks pass the search's filters (language, kind, tags). */
  readonly keep: (ids: readonly string[]) => Promise<ReadonlySet<string>>;
  /** Every chunk id that passes the filters (for filters that keep few chunks). */
  readonly allowed: () => Promise<ReadonlySet<string>>;
}

// Candidates checked against the filters, as multiples of the limit, before all allowed ids are read.
const WIDENING = [2, 8, 32] as const;

/**
 * Exact nearest vectors scored in this process, for databases without pgvector: the model's vectors
 * are loaded once per database (and again when the model's generation moves: another process wrote),
 * scored against the query, and the best are filtered in SQL, widening the list when filters drop
 * too many. The same candidates and scores as the SQL path over `real[]`; `null` when the vectors do
 * not fit in `memoryBytes` (the caller runs the SQL path).
 */
export async function scanVectors(db: Db, options: VectorScanOptions): Promise<VectorScanHit[] | null> {
  const dimension = options.vector.length;
  const generation = await readEmbeddingGeneration(db, options.model);
  const index = await currentIndex(db, options.model, dimension, generation, options.memoryBytes);
  if (index.kind === 'over-budget') return null;
  const { ids, matrix } = index;
  if (matrix.rows === 0 || options.limit <= 0) return [];
  const scores = await matrix.dot(options.vector);
  const hit = (i: number) => ({ id: ids[i]!, score: float4Number(scores[i]!) });
  const checked = new Map<number, boolean>();
  for (const factor of WIDENING) {
    const best = topK(scores, ids, options.limit * factor);
    const unchecked = best.filter((i) => !checked.has(i));
    if (unchecked.length > 0) {
      const kept = await options.keep(unchecked.map((i) => ids[i]!));
      for (const i of unchecked) checked.set(i, kept.has(ids[i]!));
    }
    const passing = best.filter((i) => checked.get(i));
    if (passing.length >= options.limit || best.length === matrix.rows)
      return passing.slice(0, options.limit).map(hit);
  }
  const allowed = await options.allowed();
  return topK(scores, ids, options.limit, (i) => allowed.has(ids[i]!)).map(hit);
}

/**
 * Loads a model's vectors for the in-process scan ahead of the first search (a server without
 * pgvector, within the budget), so that search does not wait for the cold load (seconds at 100k).
 *
 * @example
 * await warmVectorScan(db, { model: embedder.model, dimension: embedder.dimension, memoryBytes });
 */
export async function warmVectorScan(
  db: Db,
  options: { readonly model: string; readonly dimension: number; readonly memoryBytes: number },
): Promise<VectorScanStatus> {
  if (options.memoryBytes > 0 && (await vectorStorage(db)) === 'real[]') {
    const generation = await readEmbeddingGeneration(db, options.model);
    await currentIndex(db, options.model, options.dimension, generation, options.memoryBytes);
  }
  return vectorScanStatus(db, options.model, options.dimension);
}

/** What the scan holds for one database and model: for tests and the benchmark. */
export interface VectorScanStatus {
  readonly loads: number;
  readonly state: 'loaded' | 'over-budget' | 'none';
  readonly rows: number;
  readonly generation: number | null;
  /** How long the last load took (the cold-load time), ms. */
  readonly lastLoadMs: number | null;
}

/** The in-process vector scan's state for one database, model and dimension (loads so far, rows held). */
export function vectorScanStatus(db: Db, model: string, dimension: number): VectorScanStatus {
  const entry = entries.get(db)?.get(`${model}\u0000${dimension}`);
  const state = entry?.state;
  return {
    loads: entry?.loads ?? 0,
    state: state?.kind ?? 'none',
    rows: state?.kind === 'loaded' ? state.matrix.rows : 0,
    generation: state?.generation ?? null,
    lastLoadMs: state?.kind === 'loaded' ? Math.round(state.loadMs) : null,
  };
}
