import { describe, expect, it } from 'vitest';
import { float4Number, topK } from './top-k.ts';

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('topK', () => {
  it('returns the best k by score, equal scores by id, as a full sort would', () => {
    const next = random(7);
    // Few distinct values, so there are many ties.
    const scores = Float32Array.from({ length: 2000 }, () => Math.floor(next() * 50) / 50);
    const ids = Array.from(
      { length: 2000 },
      (_, i) => `id${String(Math.floor(next() * 1e6)).padStart(7, '0')}${i}`,
    );
    const sorted = [...scores.keys()].sort((a, b) => scores[b]! - scores[a]! || (ids[a]! < ids[b]! ? -1 : 1));
    for (const k of [1, 10, 100, 1999, 2000, 5000]) expect(topK(scores, ids, k)).toEqual(sorted.slice(0, k));
    const even = (i: number) => i % 2 === 0;
    expect(topK(scores, ids, 50, even)).toEqual(sorted.filter(even).slice(0, 50));
    expect(topK(scores, ids, 0)).toEqual([]);
  });
});

describe('float4Number', () => {
  it('prints a float32 as Postgres prints a real: the shortest decimal that reads back the same', () => {
    expect(float4Number(Math.fround(0.1))).toBe(0.1);
    expect(float4Number(Math.fround(0.53408933))).toBe(0.5340893);
    expect(float4Number(Math.fround(0.123456789))).toBe(0.12345679);
    expect(float4Number(Math.fround(-1 / 3))).toBe(-0.33333334);
    expect(float4Number(0)).toBe(0);
    for (let i = 0; i < 1000; i++) {
      const x = Math.fround(Math.sin(i) / 7);
      expect(Math.fround(float4Number(x))).toBe(x);
    }
  });
});
