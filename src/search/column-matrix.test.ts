import { describe, expect, it } from 'vitest';
import { ColumnMatrix } from './column-matrix.ts';

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('ColumnMatrix', () => {
  it('gives the float32 sums Postgres computes, dimension by dimension, for sparse and dense queries', async () => {
    const next = random(11);
    // Not a multiple of 4: the padded rows must not show.
    const rows = 303;
    const dimension = 16;
    const vectors = Array.from({ length: rows }, () =>
      Array.from({ length: dimension }, () => next() * 2 - 1),
    );
    // Room for more rows than are used: those are not scored.
    const matrix = new ColumnMatrix(rows + 9, dimension);
    // Node 24 runs WebAssembly SIMD: the kernel, not the fallback loop, is what this checks.
    expect(matrix.simd).toBe(true);
    vectors.forEach((v) => {
      const i = matrix.addRow()!;
      v.forEach((x, d) => {
        matrix.set(i, d, x);
      });
    });
    const dense = Array.from({ length: dimension }, () => next() - 0.5);
    const sparse = dense.map((x, d) => (d % 5 === 0 ? x : 0));
    for (const query of [dense, sparse, dense.map(() => 0)]) {
      const scores = await matrix.dot(query);
      expect(scores.length).toBe(rows);
      const expected = vectors.map((v) => {
        let acc = 0;
        for (let d = 0; d < dimension; d++)
          acc = Math.fround(acc + Math.fround(Math.fround(query[d]!) * Math.fround(v[d]!)));
        return acc;
      });
      expect([...scores]).toEqual(expected);
    }
  });

  it('scores concurrent queries apart, though they share one score buffer', async () => {
    const matrix = new ColumnMatrix(5, 2);
    for (let i = 0; i < 5; i++) {
      matrix.addRow();
      matrix.set(i, 0, i);
      matrix.set(i, 1, 1);
    }
    const [a, b] = await Promise.all([matrix.dot([1, 0]), matrix.dot([0, 2])]);
    expect([...a]).toEqual([0, 1, 2, 3, 4]);
    expect([...b]).toEqual([2, 2, 2, 2, 2]);
    expect(matrix.addRow()).toBeNull();
  });

  it('applies a change between scans, never in the middle of one', async () => {
    // Enough rows that a dense scan yields to the event loop between columns.
    const rows = 200_000;
    const matrix = new ColumnMatrix(rows, 64);
    for (let i = 0; i < rows; i++) {
      matrix.addRow();
      for (let d = 0; d < 64; d++) matrix.set(i, d, 1);
    }
    const query = Array(64).fill(1);
    const scan = matrix.dot(query);
    const changed = matrix.change(() => {
      for (let d = 0; d < 64; d++) matrix.set(0, d, 0);
    });
    const [before] = await Promise.all([scan, changed]);
    expect(before[0]).toBe(64);
    expect((await matrix.dot(query))[0]).toBe(0);
  });
});
