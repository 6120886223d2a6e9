import type { Db } from '../db/index.ts';
import { ColumnMatrix } from './column-matrix.ts';
import { VectorScanError } from './errors.ts';

// Rows per page of the load (keyset on owner_id): of 1k, 5k and 20k, 5k loaded 100k x 384 fastest.
const PAGE_ROWS = 5000;
// Bytes a row costs beside its floats and its score slot: its id string, its map entry and flag (an
// estimate for the budget).
const ROW_OVERHEAD_BYTES = 160;
// array_send(real[]): a 20-byte header (ndim, flags, element type, length, lower bound), then per
// element a 4-byte length and the big-endian float4.
const ARRAY_SEND_HEADER_BYTES = 20;
// Room for rows added by later changes, beyond the rows loaded: past it, the next change reloads.
const SPARE_ROWS = (n: number) => Math.ceil(n / 4) + 256;
// More changed vectors than this (or a quarter of those held) and a full load is the cheaper read.
const MAX_CHANGED = 20_000;

/** The model's embedding generation: bumped by every statement that changes its vectors (00006). */
export async function readEmbeddingGeneration(db: Db, model: string): Promise<number> {
  const { rows } = await db.query<{ generation: string }>(
    'select generation from cbo_embedding_generations where model = $1',
    [model],
  );
  return Number(rows[0]?.generation ?? 0);
}

function decode(bytes: Uint8Array, dimension: number, set: (d: number, value: number) => void): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let d = 0; d < dimension; d++) set(d, view.getFloat32(ARRAY_SEND_HEADER_BYTES + d * 8 + 4, false));
}

/** One model's vectors held in this process, current for `generation` (migration 00006). */
export class LoadedVectors {
  readonly kind = 'loaded' as const;
  readonly matrix: ColumnMatrix;
  /** Row i's chunk id (a removed row keeps its id and is not alive). */
  readonly ids: string[] = [];
  readonly #rowOf = new Map<string, number>();
  readonly #alive: Uint8Array;
  #generation: number;
  #live = 0;
  #changes = 0;
  #loadMs = 0;

  constructor(matrix: ColumnMatrix, generation: number) {
    this.matrix = matrix;
    this.#generation = generation;
    this.#alive = new Uint8Array(matrix.capacity);
  }

  /** How long the load took (the cold-load time), ms. */
  get loadMs(): number {
    return this.#loadMs;
  }

  loaded(ms: number): this {
    this.#loadMs = ms;
    return this;
  }

  get generation(): number {
    return this.#generation;
  }

  /** Vectors held (rows alive). */
  get live(): number {
    return this.#live;
  }

  /** Changes applied since the load (each catches up one or more generations). */
  get changes(): number {
    return this.#changes;
  }

  isAlive(row: number): boolean {
    return this.#alive[row] === 1;
  }

  /** Adds or replaces a vector; false when the matrix is full. */
  put(id: string, vector: Uint8Array): boolean {
    let row = this.#rowOf.get(id);
    if (row === undefined) {
      const added = this.matrix.addRow();
      if (added === null) return false;
      row = added;
      this.#rowOf.set(id, row);
      this.ids[row] = id;
    }
    const r = row;
    decode(vector, this.matrix.dimension, (d, x) => this.matrix.set(r, d, x));
    if (this.#alive[r] === 0) this.#live++;
    this.#alive[r] = 1;
    return true;
  }

  remove(id: string): void {
    const row = this.#rowOf.get(id);
    if (row === undefined || this.#alive[row] === 0) return;
    // Still scored, never returned: searches take only rows alive.
    this.#alive[row] = 0;
    this.#live--;
  }

  /** The changed vectors of generations up to `generation` (null: removed); false when they do not fit. */
  apply(changed: ReadonlyArray<{ id: string; v: Uint8Array | null }>, generation: number): boolean {
    const added = changed.filter((c) => c.v !== null && !this.#rowOf.has(c.id)).length;
    if (this.matrix.rows + added > this.matrix.capacity) return false;
    for (const c of changed) {
      if (c.v === null) this.remove(c.id);
      else this.put(c.id, c.v);
    }
    this.#generation = generation;
    this.#changes++;
    return true;
  }
}

/** Too many vectors for the budget at this generation: the SQL path runs until the generation moves. */
export interface OverBudget {
  readonly kind: 'over-budget';
  readonly generation: number;
  readonly bytes: number;
}

/**
 * Reads one model's vectors of one dimension into a column-major matrix, in one repeatable-read
 * transaction, so the rows and the generation read with them are one snapshot. Nothing is loaded
 * when they would exceed `memoryBytes`.
 */
export async function loadVectors(
  db: Db,
  model: string,
  dimension: number,
  memoryBytes: number,
): Promise<LoadedVectors | OverBudget> {
  const t0 = performance.now();
  return db.transaction(async (tx) => {
    await tx.exec('set transaction isolation level repeatable read, read only');
    const generation = await readEmbeddingGeneration(tx, model);
    const { rows: count } = await tx.query<{ n: number }>(
      'select count(*)::int as n from cbo_embeddings where model = $1 and dim = $2',
      [model, dimension],
    );
    const n = count[0]?.n ?? 0;
    const capacity = n + SPARE_ROWS(n);
    const bytes = capacity * ((dimension + 1) * 4 + ROW_OVERHEAD_BYTES);
    if (bytes > memoryBytes) return { kind: 'over-budget', generation, bytes } as const;
    const loaded = new LoadedVectors(new ColumnMatrix(capacity, dimension), generation);
    let after = '';
    let read = 0;
    for (;;) {
      // array_send: binary float4s, 2-3x faster to move and parse than real[]'s text (BENCHMARKS.md).
      const { rows } = await tx.query<{ owner_id: string; v: Uint8Array }>(
        `select owner_id, array_send(embedding) as v from cbo_embeddings
          where model = $1 and dim = $2 and owner_id > $3 order by owner_id limit ${PAGE_ROWS}`,
        [model, dimension, after],
      );
      if (rows.length === 0) break;
      for (const row of rows) if (read++ < n) loaded.put(row.owner_id, row.v);
      after = rows.at(-1)!.owner_id;
    }
    // One snapshot: the pages hold exactly the rows counted.
    if (read !== n) throw new VectorScanError(`vector scan: counted ${n} vectors of ${model}, read ${read}`);
    return loaded.loaded(performance.now() - t0);
  });
}

/**
 * Brings `loaded` up to the model's current generation with only the vectors that changed since
 * (cbo_embedding_changes, migration 00006), in one snapshot; false when a full load is needed: the
 * log no longer covers every generation since (a truncate, or too far behind), too many changed, or
 * the matrix is full.
 */
export async function catchUpVectors(db: Db, loaded: LoadedVectors, model: string): Promise<boolean> {
  const dimension = loaded.matrix.dimension;
  const from = loaded.generation;
  const read = await db.transaction(async (tx) => {
    await tx.exec('set transaction isolation level repeatable read, read only');
    const generation = await readEmbeddingGeneration(tx, model);
    if (generation <= from) return { generation, changed: [] };
    const { rows } = await tx.query<{ generations: number; ids: string[] | null }>(
      `select count(distinct generation)::int as generations, array_agg(distinct owner_id) as ids
         from cbo_embedding_changes where model = $1 and generation > $2 and generation <= $3`,
      [model, from, generation],
    );
    const ids = rows[0]?.ids ?? [];
    if (rows[0]?.generations !== generation - from) return null;
    if (ids.length > Math.min(MAX_CHANGED, Math.max(256, loaded.live / 4))) return null;
    const { rows: changed } = await tx.query<{ id: string; v: Uint8Array | null }>(
      `select c.id, array_send(e.embedding) as v
         from unnest($1::text[]) as c(id)
         left join cbo_embeddings e on e.owner_id = c.id and e.model = $2 and e.dim = $3`,
      [ids, model, dimension],
    );
    return { generation, changed };
  });
  if (read === null) return false;
  if (read.changed.length === 0 && read.generation <= from) return true;
  return loaded.matrix.change(() => loaded.apply(read.changed, read.generation));
}
