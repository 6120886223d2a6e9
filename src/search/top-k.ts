/**
 * Pure parts of the in-process vector scan (vector-scan.ts): a column-major matrix of unit vectors,
 * its dot products with a query, and the best k rows by a bounded heap.
 */

/** `rows` vectors of `dimension` floats, stored dimension-major: column d is `data[d*rows .. (d+1)*rows)`. */
export interface ColumnMatrix {
  readonly rows: number;
  readonly dimension: number;
  readonly data: Float32Array;
}

// Multiply-adds between yields to the event loop (about 2 ms here): the keyword and name retrievers'
// replies are handled, and their next statements sent, while a long scan runs.
const OPS_PER_SLICE = 2_000_000;

/**
 * Dot products of every row with `query`, in float32 like Postgres's `sum(a * b)` over `real[]`: each
 * product is rounded to float32, then added to a float32 sum, dimension by dimension in order, so the
 * scores are those of the SQL path (`exact-real[]`). Only the query's non-zero dimensions are walked
 * (a zero adds exactly nothing): a sparse query costs its non-zeros, a dense one every column.
 */
export async function dotProducts(matrix: ColumnMatrix, query: readonly number[]): Promise<Float32Array> {
  const { rows, data } = matrix;
  const scores = new Float32Array(rows);
  const columnsPerSlice = Math.max(1, Math.floor(OPS_PER_SLICE / Math.max(1, rows)));
  let sinceYield = 0;
  for (let d = 0; d < matrix.dimension; d++) {
    const q = Math.fround(query[d] ?? 0);
    if (q === 0) continue;
    const base = d * rows;
    for (let i = 0; i < rows; i++) scores[i] = scores[i]! + Math.fround(q * data[base + i]!);
    if (++sinceYield >= columnsPerSlice) {
      sinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  return scores;
}

/**
 * The indices of the best `k` rows of `scores` (where `include(i)` holds, if given): higher score
 * first, equal scores by `ids[i]` ascending, the order the SQL path's `order by score desc, id` gives.
 */
export function topK(
  scores: Float32Array,
  ids: readonly string[],
  k: number,
  include?: (i: number) => boolean,
): number[] {
  if (k <= 0) return [];
  // A min-heap of the best so far: its root is the worst kept row.
  const heap: number[] = [];
  const worse = (a: number, b: number) =>
    scores[a]! < scores[b]! || (scores[a] === scores[b] && ids[a]! > ids[b]!);
  const down = (from: number) => {
    let i = from;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && worse(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && worse(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let i = 0; i < scores.length; i++) {
    if (include && !include(i)) continue;
    if (heap.length < k) {
      heap.push(i);
      for (let c = heap.length - 1; c > 0; ) {
        const p = (c - 1) >> 1;
        if (!worse(heap[c]!, heap[p]!)) break;
        [heap[c], heap[p]] = [heap[p]!, heap[c]!];
        c = p;
      }
    } else if (scores[i]! >= scores[heap[0]!]! && worse(heap[0]!, i)) {
      heap[0] = i;
      down(0);
    }
  }
  return heap.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
}

/**
 * A float32 as the number Postgres prints for a `real` (the shortest decimal that reads back as the
 * same float32), so a score from the scan equals the one the SQL path returns.
 */
export function float4Number(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  for (let p = 1; p < 9; p++) {
    const n = Number(x.toPrecision(p));
    if (Math.fround(n) === x) return n;
  }
  return Number(x.toPrecision(9));
}
