import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../src/db/index.ts';
import { indexRepository } from '../src/kg/index.ts';
import {
  BM25,
  codeWordsOf,
  createLocalEmbedder,
  FIELD_BOOST,
  indexSearch,
  keywordCandidates,
  searchCode,
} from '../src/search/index.ts';
import { ADAPTERS, createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { createRepo, SRC_TSCONFIG } from './helpers/repos.ts';

const embedder = createLocalEmbedder();
const keywordOnly = { weights: { keyword: 1, vector: 0, name: 0, graph: 0 } } as const;

// Every function reads and writes a stream; one also throttles, one debounces.
const STREAMS = `
export function openStream(path: string): string { return readStream(path) + writeStream(path); }
export function readStream(path: string): string { return 'read stream ' + path; }
export function writeStream(path: string): string { return 'write stream ' + path; }
export function pipeStream(path: string): string { return readStream(path) + writeStream(path); }
export function throttleStream(path: string): string { return readStream(path) + ' throttle'; }
export function debounceInput(path: string): string { return 'debounce ' + writeStream(path); }
`;

// "flush" in one function's name (so in its name, signature and first line: 3 times), four times in
// the other's body: only the field boost puts the name first.
const FIELDS = `
export function flushQueue(items: string[]): number { return items.length; }
export function drainQueue(items: string[]): number { return flush() + flush() + flush() + flush() + items.length; }
export function flush(): number { return 0; }
`;

// Two functions alike in every word but their names; three callers make alphaTask the more central
// (its chunk id also sorts after betaTask's, so without the graph tie-break betaTask would come first).
const TASKS = `
export function alphaTask(n: number): number { const retries = n * 2; return retries + backoffJitter(n); }
export function betaTask(n: number): number { const retries = n * 2; return retries + backoffJitter(n); }
export function backoffJitter(n: number): number { return n; }
export function first(): number { return alphaTask(1); }
export function second(): number { return alphaTask(2); }
export function third(): number { return alphaTask(3); }
`;

interface Lexeme {
  readonly lexeme: string;
  readonly positions: number[];
  readonly weights: string[];
}

/** Each chunk's keyword vector, lexeme by lexeme, with its seq and length. */
async function keywordVectors(db: Db) {
  const { rows } = await db.query<{ id: string; seq: string; len: number; lexemes: Lexeme[] }>(
    `select c.id, c.seq::text as seq, c.keyword_len as len,
            (select json_agg(json_build_object('lexeme', u.lexeme, 'positions', u.positions, 'weights', u.weights))
               from unnest(c.keywords) as u(lexeme, positions, weights)) as lexemes
       from search_chunks c order by c.seq`,
  );
  return rows.map((r) => ({ ...r, lexemes: r.lexemes ?? [] }));
}

/** A lexeme's term frequency with the field boosts: an occurrence in the name (A), signature (B). */
const fieldTf = (l: Lexeme) =>
  l.positions.length +
  (FIELD_BOOST.name - 1) * l.weights.filter((w) => w === 'A').length +
  (FIELD_BOOST.signature - 1) * l.weights.filter((w) => w === 'B').length;

// The posting's read order: BM25's term weight with a reference length of 256 (migration 00010).
const impact = (tf: number, len: number) =>
  Math.fround((tf * (BM25.k1 + 1)) / (tf + BM25.k1 * (1 - BM25.b + (BM25.b * len) / 256)));

/** The postings as stored, and as a recount from the keyword vectors gives them. */
async function postings(db: Db) {
  const stored = await db.query<{ term: string; seq: string; tf: number; len: number; impact: number }>(
    `select term, chunk_seq::text as seq, tf, len, impact from search_postings order by chunk_seq, term collate "C"`,
  );
  const expected = (await keywordVectors(db)).flatMap((c) =>
    c.lexemes
      .map((l) => ({ term: l.lexeme, seq: c.seq, tf: fieldTf(l), len: c.len }))
      .sort((a, b) => (a.term < b.term ? -1 : a.term > b.term ? 1 : 0)),
  );
  return { stored: stored.rows, expected };
}

async function expectPostingsCurrent(db: Db): Promise<void> {
  const p = await postings(db);
  expect(p.stored.map(({ impact: _, ...rest }) => rest)).toEqual(p.expected);
  for (const x of p.stored) expect(x.impact).toBeCloseTo(impact(x.tf, x.len), 5);
}

async function recount(db: Db) {
  const terms = await db.query<{ term: string; df: number }>(
    `select t.term, count(*)::int as df
       from search_chunks c, unnest(tsvector_to_array(c.keywords)) as t(term) group by t.term order by t.term`,
  );
  const stored = await db.query<{ term: string; df: number }>(
    'select term, df from search_terms order by term',
  );
  const totals = await db.query<{ chunks: number; total: number }>(
    'select count(*)::int as chunks, coalesce(sum(keyword_len), 0)::float8 as total from search_chunks',
  );
  const stats = await db.query<{ chunks: number; total: number }>(
    'select chunks::int as chunks, total_len as total from search_stats',
  );
  return { terms: terms.rows, stored: stored.rows, totals: totals.rows[0]!, stats: stats.rows[0]! };
}

async function expectStatsCurrent(db: Db): Promise<void> {
  const r = await recount(db);
  expect(r.stored).toEqual(r.terms);
  expect(r.stats.chunks).toBe(r.totals.chunks);
  expect(r.stats.total).toBeCloseTo(r.totals.total, 3);
  await expectPostingsCurrent(db);
  const names = await db.query<{ name: string; chunks: number }>(
    `select lower(name) as name, count(*)::int as chunks from search_chunks where name is not null
      group by lower(name) order by 1`,
  );
  const stored = await db.query<{ name: string; chunks: number }>(
    'select name, chunks from search_names order by 1',
  );
  expect(stored.rows).toEqual(names.rows);
}

describe.each(ADAPTERS)('keyword ranking on %s', (adapter) => {
  let t: TestDatabase;
  let root: string;

  const reindex = async () => {
    await indexRepository(t.db, { root, maxFileBytes: 1_000_000 });
    await indexSearch(t.db, { root, embedder, maxFileBytes: 1_000_000 });
  };

  beforeAll(async () => {
    t = await createMigratedDatabase(adapter, 'search_ranking');
    root = createRepo({
      'tsconfig.json': SRC_TSCONFIG,
      'src/streams.ts': STREAMS,
      'src/tasks.ts': TASKS,
      'src/fields.ts': FIELDS,
    });
    await reindex();
  });
  afterAll(() => t?.dispose());

  it('keeps document frequencies, lengths, postings and names equal to a recount through edits, deletes, updates and truncate', async () => {
    await expectStatsCurrent(t.db);
    const before = await recount(t.db);
    expect(before.stats.chunks).toBeGreaterThan(10);
    expect(before.stored.find((x) => x.term === 'stream')?.df).toBeGreaterThanOrEqual(5);

    writeFileSync(
      join(root, 'src/extra.ts'),
      'export function sampleStream(s: string): string { return s; }\n',
    );
    await reindex();
    await expectStatsCurrent(t.db);
    // The function's chunk and its module's (which lists the exports).
    expect((await recount(t.db)).stored.find((x) => x.term === 'sample')?.df).toBe(2);

    rmSync(join(root, 'src/extra.ts'));
    await reindex();
    await expectStatsCurrent(t.db);
    // A term no chunk has any more is gone, not left at zero.
    expect((await recount(t.db)).stored.find((x) => x.term === 'sample')).toBeUndefined();
    expect(await recount(t.db)).toEqual(before);

    await t.db.query(
      `update search_chunks set keywords = keywords || to_tsvector('simple', 'sample'), name = 'readSample' where name = 'readStream'`,
    );
    await expectStatsCurrent(t.db);

    await t.db.exec('truncate search_chunks');
    await expectStatsCurrent(t.db);
    expect((await recount(t.db)).stats).toEqual({ chunks: 0, total: 0 });

    // Everything comes back with the next run (the chunked files' hashes went with the chunks).
    await reindex();
    await expectStatsCurrent(t.db);
  });

  it('scores exact Okapi BM25 with the field boosts while every term is read whole', async () => {
    const query = 'read the stream and throttle it';
    const chunks = await keywordVectors(t.db);
    const { rows } = await t.db.query<{ terms: string[] }>(
      `select array(select distinct unnest(tsvector_to_array(to_tsvector('english', $1))
                                           || tsvector_to_array(to_tsvector('simple', $1)))) as terms`,
      [query],
    );
    // The query's content words (stop words drop out: "read the stream" has content).
    const terms = rows[0]!.terms.filter((x) => !['the', 'and', 'it'].includes(x));
    const n = chunks.length;
    const avg = Math.max(1, chunks.reduce((a, c) => a + c.len, 0) / n);
    const df = (term: string) => chunks.filter((c) => c.lexemes.some((l) => l.lexeme === term)).length;
    const expected = new Map<string, number>();
    for (const term of terms) {
      const d = df(term);
      if (d === 0) continue;
      const idf = Math.log(1 + (n - d + 0.5) / (d + 0.5));
      for (const c of chunks) {
        const l = c.lexemes.find((x) => x.lexeme === term);
        if (!l) continue;
        const tf = fieldTf(l);
        const s = (idf * tf * (BM25.k1 + 1)) / (tf + BM25.k1 * (1 - BM25.b + (BM25.b * c.len) / avg));
        expected.set(c.id, (expected.get(c.id) ?? 0) + s);
      }
    }
    expect(expected.size).toBeGreaterThan(5);
    const got = await keywordCandidates(t.db, query, {});
    expect(new Set(got.map((r) => r.id))).toEqual(new Set(expected.keys()));
    for (const r of got) expect(r.score).toBeCloseTo(expected.get(r.id)!, 9);
    for (let i = 1; i < got.length; i++) expect(got[i - 1]!.score).toBeGreaterThanOrEqual(got[i]!.score);
  });

  it('reads a common term’s best postings first, as many as it is allowed', async () => {
    // The postings of "stream" in read order: weight, then the order chunks were written.
    const best = (await keywordVectors(t.db))
      .flatMap((c) =>
        c.lexemes
          .filter((l) => l.lexeme === 'stream')
          .map((l) => ({ id: c.id, seq: Number(c.seq), weight: impact(fieldTf(l), c.len) })),
      )
      .sort((x, y) => y.weight - x.weight || x.seq - y.seq);
    expect(best.length).toBeGreaterThan(5);
    expect(await keywordCandidates(t.db, 'stream', {})).toHaveLength(best.length);
    const three = await keywordCandidates(t.db, 'stream', { postingsPerTerm: 3 });
    expect(new Set(three.map((r) => r.id))).toEqual(new Set(best.slice(0, 3).map((x) => x.id)));
  });

  it('counts a word in the name more than the same word in the body (field boost)', async () => {
    const r = await searchCode(t.db, 'flush the queue', { ...keywordOnly, kinds: ['function'], limit: 5 });
    const names = r.hits.map((h) => h.name);
    expect(names.indexOf('flushQueue')).toBeGreaterThanOrEqual(0);
    expect(names.indexOf('flushQueue')).toBeLessThan(names.indexOf('drainQueue'));
  });

  it('weighs a rare word above common ones (BM25 IDF)', async () => {
    // "stream" is in most chunks, "debounce" in one: the one chunk with the rare word wins although
    // others say "stream" more often.
    const result = await searchCode(t.db, 'stream stream stream debounce', keywordOnly);
    expect(result.hits[0]?.symbol).toBe('debounceInput');
    const debounce = result.hits[0]!.scores.keyword!.score;
    const stream = result.hits.find((h) => h.symbol === 'readStream')!.scores.keyword!.score;
    expect(debounce).toBeGreaterThan(stream);
  });

  it('ignores English stop words in a sentence, but not when they are all the query has', async () => {
    // "the", "is", "that" are rare in code, so BM25 would prize them; they must not count.
    const withStops = await searchCode(t.db, 'the function that is throttle', keywordOnly);
    const without = await searchCode(t.db, 'function throttle', keywordOnly);
    expect(withStops.hits.map((h) => [h.symbol, h.scores.keyword?.score])).toEqual(
      without.hits.map((h) => [h.symbol, h.scores.keyword?.score]),
    );
    expect(withStops.hits[0]?.symbol).toBe('throttleStream');
    // `first` is an English stop word and a function name here: alone, it is searched.
    const alone = await searchCode(t.db, 'first', keywordOnly);
    expect(alone.hits.map((h) => h.symbol)).toContain('first');
  });

  it('gives identifiers a sentence writes in code form the name signal, without ranking them first', async () => {
    expect(codeWordsOf('like mergeMap, but calls run() on Foo.bar and load_config; e.g. not Plain')).toEqual([
      'mergeMap',
      'run',
      'Foo.bar',
      'load_config',
      'e.g',
    ]);
    const result = await searchCode(t.db, 'what does readStream return', { embedder });
    const hit = result.hits.find((h) => h.symbol === 'readStream');
    expect(hit?.scores.name).toMatchObject({ match: 'mentioned', rank: 1 });
    expect(result.hits[0]?.symbol).toBe('readStream');
    // Only a one-identifier query puts exact matches first: here a chunk that says more of the
    // sentence's words can outrank the one it mentions.
    const contrast = await searchCode(t.db, 'unlike readStream, throttle the stream', keywordOnly);
    expect(contrast.hits[0]?.symbol).toBe('throttleStream');
  });

  it('orders equal scores by the graph: the more central symbol first', async () => {
    const result = await searchCode(t.db, 'retries backoff jitter', { ...keywordOnly, limit: 20 });
    const alpha = result.hits.find((h) => h.symbol === 'alphaTask')!;
    const beta = result.hits.find((h) => h.symbol === 'betaTask')!;
    expect(alpha.scores.keyword!.score).toBe(beta.scores.keyword!.score);
    expect(alpha.scores.keyword!.rank).toBe(beta.scores.keyword!.rank);
    expect(alpha.score).toBe(beta.score);
    expect(alpha.scores.graph!.inDegree).toBeGreaterThan(beta.scores.graph!.inDegree);
    expect(alpha.id > beta.id).toBe(true);
    expect(result.hits.indexOf(alpha)).toBe(result.hits.indexOf(beta) - 1);
  });
});
