import { type Db, vectorStorage } from '../db/index.ts';
import { float4Number, topK } from './top-k.ts';
import {
  catchUpVectors,
  LoadedVectors,
  loadVectors,
  type OverBudget,
  readEmbeddingGeneration,
} from './vector-load.ts';

export { readEmbeddingGeneration } from './vector-load.ts';

/** Default memory budget of the in-process vector scan, per database and model: 1 GiB. */
export const DEFAULT_VECTOR_MEMORY_BYTES = 2 ** 30;

type IndexState = LoadedVectors | OverBudget;

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

/** The vectors as of the model's current generation: the changes since, applied, or a full load. */
async function refresh(
  db: Db,
  entry: Entry,
  model: string,
  dimension: number,
  memoryBytes: number,
): Promise<IndexState> {
  const state = entry.state;
  if (state instanceof LoadedVectors && (await catchUpVectors(db, state, model))) return state;
  entry.loads++;
  return loadVectors(db, model, dimension, memoryBytes);
}

/** The index current for `generation` (or newer), refreshed once however many searches ask. */
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
    // Generations only grow: an index at or after the one this search read is current for it.
    if (state && state.generation >= generation) {
      if (state.kind === 'loaded' || state.bytes > memoryBytes) return state;
    }
    if (!entry.loading) {
      const loading = refresh(db, entry, model, dimension, memoryBytes);
      entry.loading = loading;
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
  if (index.live === 0 || options.limit <= 0) return [];
  const scores = await index.matrix.dot(options.vector);
  const ids = index.ids;
  // Rows removed since the load are still scored, never returned.
  const alive = (i: number) => index.isAlive(i);
  const hit = (i: number) => ({ id: ids[i]!, score: float4Number(scores[i]!) });
  const checked = new Map<number, boolean>();
  for (const factor of WIDENING) {
    const k = options.limit * factor;
    const best = topK(scores, ids, k, alive);
    const unchecked = best.filter((i) => !checked.has(i));
    if (unchecked.length > 0) {
      const kept = await options.keep(unchecked.map((i) => ids[i]!));
      for (const i of unchecked) checked.set(i, kept.has(ids[i]!));
    }
    const passing = best.filter((i) => checked.get(i));
    // Fewer than k: every row alive was taken.
    if (passing.length >= options.limit || best.length < k) return passing.slice(0, options.limit).map(hit);
  }
  const allowed = await options.allowed();
  return topK(scores, ids, options.limit, (i) => alive(i) && allowed.has(ids[i]!)).map(hit);
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
  /** Full loads so far. */
  readonly loads: number;
  /** Catch-ups since the last load: only the changed vectors read. */
  readonly changes: number;
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
    changes: state?.kind === 'loaded' ? state.changes : 0,
    state: state?.kind ?? 'none',
    rows: state?.kind === 'loaded' ? state.live : 0,
    generation: state?.generation ?? null,
    lastLoadMs: state?.kind === 'loaded' ? Math.round(state.loadMs) : null,
  };
}
