/**
 * File-level baselines on the same stripped copy cogo indexes: ripgrep on the query's words, and
 * BM25 (k1 = 1.2, b = 0.75) over whole files. Each returns files, best first.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** English function words: grepping for "the" or "of" finds every file. */
export const STOP_WORDS = new Set(
  (
    'a an the and or but nor not no of to in on at by for from with into onto over under about as is are ' +
    'was were be been being do does did has have had it its this that these those there here what which ' +
    'who whom whose when where why how than too very can could should would will shall may might must ' +
    'just also via per if then so such any all each other some only own same'
  ).split(' '),
);

/** The query's distinct words for grep: letters, digits, `_` and `$`, lowercased, stop words out. */
export function grepWords(query: string): string[] {
  const words = (query.match(/[A-Za-z0-9_$]+/g) ?? []).map((w) => w.toLowerCase());
  return [...new Set(words.filter((w) => w.length >= 2 && !STOP_WORDS.has(w)))];
}

/** Fails with a clear message when ripgrep is not installed. */
export function requireRipgrep(): string {
  const r = spawnSync('rg', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    throw new Error(
      'ripgrep (`rg`) is not installed; the search benchmark needs it for its grep baseline. ' +
        'Install it with `apt-get install ripgrep` (Debian/Ubuntu) and run again.',
    );
  return r.stdout.split('\n')[0]!.trim();
}

/**
 * ripgrep baseline: `rg -i -o -w -F -e w1 -e w2 ... src` (case-insensitive whole-word matches of the
 * query's words), files ranked by how many distinct query words they contain, then by total matches,
 * then by path.
 */
export function ripgrepRank(root: string, query: string): string[] {
  const words = grepWords(query);
  if (words.length === 0) return [];
  const r = spawnSync(
    'rg',
    [
      '-i',
      '-o',
      '-w',
      '-F',
      '--no-heading',
      '--with-filename',
      '--no-line-number',
      '--color',
      'never',
      ...words.flatMap((w) => ['-e', w]),
      'src',
    ],
    { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  if (r.status !== 0 && r.status !== 1) throw new Error(`rg failed (${r.status}): ${r.stderr}`);
  const files = new Map<string, { words: Set<string>; matches: number }>();
  for (const line of r.stdout.split('\n')) {
    const i = line.lastIndexOf(':');
    if (i <= 0) continue;
    const path = line.slice(0, i);
    const f = files.get(path) ?? { words: new Set<string>(), matches: 0 };
    f.words.add(line.slice(i + 1).toLowerCase());
    f.matches += 1;
    files.set(path, f);
  }
  return [...files]
    .sort(
      ([pa, a], [pb, b]) =>
        b.words.size - a.words.size || b.matches - a.matches || (pa < pb ? -1 : pa > pb ? 1 : 0),
    )
    .map(([p]) => p);
}

export type Tokenizer = (text: string) => string[];

/** Lowercased runs of letters and digits, stop words out. */
export const plainTokens: Tokenizer = (text) =>
  (text.match(/[A-Za-z0-9]+/g) ?? []).map((w) => w.toLowerCase()).filter((w) => !STOP_WORDS.has(w));

/** As `plainTokens`, plus the camelCase / PascalCase / digit parts of each word (`mergeMap` -> mergemap, merge, map). */
export const identifierTokens: Tokenizer = (text) => {
  const out: string[] = [];
  for (const w of text.match(/[A-Za-z0-9]+/g) ?? []) {
    const lower = w.toLowerCase();
    if (!STOP_WORDS.has(lower)) out.push(lower);
    const parts = w
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
      .replace(/([A-Za-z])([0-9])/g, '$1 $2')
      .split(' ')
      .map((p) => p.toLowerCase());
    if (parts.length > 1) for (const p of parts) if (!STOP_WORDS.has(p)) out.push(p);
  }
  return out;
};

/** A file's text, keyed by its path. */
export function fileDocuments(root: string, paths: readonly string[]): Array<{ key: string; text: string }> {
  return paths.map((path) => ({ key: path, text: readFileSync(join(root, path), 'utf8') }));
}

/** Okapi BM25 (k1 = 1.2, b = 0.75, idf = ln(1 + (N - df + 0.5) / (df + 0.5))) over keyed documents. */
export class Bm25 {
  readonly #docs: Array<{ key: string; tf: Map<string, number>; length: number }> = [];
  readonly #df = new Map<string, number>();
  readonly #avgLength: number;

  readonly tokenize: Tokenizer;
  readonly k1: number;
  readonly b: number;

  constructor(
    documents: ReadonlyArray<{ key: string; text: string }>,
    tokenize: Tokenizer,
    k1 = 1.2,
    b = 0.75,
  ) {
    this.tokenize = tokenize;
    this.k1 = k1;
    this.b = b;
    for (const { key, text } of documents) {
      const tokens = tokenize(text);
      const tf = new Map<string, number>();
      for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1);
      for (const t of tf.keys()) this.#df.set(t, (this.#df.get(t) ?? 0) + 1);
      this.#docs.push({ key, tf, length: tokens.length });
    }
    this.#avgLength = this.#docs.reduce((n, d) => n + d.length, 0) / Math.max(1, this.#docs.length);
  }

  /** Keys of the documents with a positive score, best first (ties by key). */
  rank(query: string): string[] {
    const terms = [...new Set(this.tokenize(query))];
    const n = this.#docs.length;
    const scored: Array<{ key: string; score: number }> = [];
    for (const d of this.#docs) {
      let score = 0;
      for (const t of terms) {
        const f = d.tf.get(t);
        if (!f) continue;
        const df = this.#df.get(t)!;
        const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
        score +=
          (idf * f * (this.k1 + 1)) / (f + this.k1 * (1 - this.b + (this.b * d.length) / this.#avgLength));
      }
      if (score > 0) scored.push({ key: d.key, score });
    }
    return scored
      .sort((a, b) => b.score - a.score || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((s) => s.key);
  }
}
