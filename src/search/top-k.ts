/** Pure parts of the in-process vector scan (vector-scan.ts): the best k rows by a bounded heap, and scores as Postgres prints them. */

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
