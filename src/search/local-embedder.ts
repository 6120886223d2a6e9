/**
 * The built-in embedder: no download, no server, so the embedded default works offline.
 *
 * What it is: a lexical, sub-word similarity measure shaped for code search. Each text becomes a
 * bag of hashed features (feature hashing into 320 signed buckets by default), then an L2-normalized
 * vector, so cosine similarity is a weighted overlap of:
 *   1. words: identifier sub-tokens (camelCase, PascalCase, snake_case, kebab-case and digit runs
 *      split apart, lowercased), a few code abbreviations expanded (`cfg`, `db`, `fn`, `ctx` ...),
 *      then a light suffix stemmer, so `parseConfigFiles`, "parsing the configuration file" and
 *      `parse_config_file` share `pars`, `configur`, `file`;
 *   2. whole compound identifiers (`parseconfigfile`), so an exact identifier match ranks first;
 *   3. adjacent word pairs (`pars configur`), so word order and phrases count a little;
 *   4. character trigrams of each sub-token with boundary markers (`^co`, `con`, ..., `ig$`), so
 *      spellings that share a root still overlap (`auth` and `authorization`, `util` and `utility`).
 * Term frequency is sublinear (1 + ln tf); English function words and language keywords are dropped.
 *
 * What it is not: semantics. It cannot know that "remove" and "delete" or "car" and "vehicle" are
 * related, and it has no corpus statistics (no IDF). By default a second part is appended: the
 * vector of the small learned code model shipped with cogo (`code-model.ts`: word vectors trained
 * to put doc sentences next to the code they document), which adds some of that; the two parts
 * weigh the same. An `/v1/embeddings` model (BGE-M3 and the like) knows far more.
 *
 * The model name carries a version: change anything here that changes vectors, bump it, and
 * stored vectors are re-embedded (`cogo-local-hash-v1-<d>` without the code model,
 * `cogo-local-code-v1-<d>` with it).
 */
import { identifierParts } from '../core/index.ts';
import { type CodeModel, shippedCodeModel } from './code-model.ts';
import type { Embedder } from './embedder.ts';
import { EmbeddingError } from './errors.ts';

const LOCAL_EMBEDDER_VERSION = 'v1';
// 320 hashed features + the code model's 128 = 448 floats: a stored row stays under Postgres's TOAST
// threshold (about 2 kB), so vectors are kept inline and read without detoasting (512 was not).
const HASH_DIMENSION = 320;
// pgvector's `vector` type holds at most 16,000 dimensions.
const MAX_DIMENSION = 16_000;
const MIN_DIMENSION = 8;

// Family weights. Words carry most of the mass; a 10-letter word adds 10 trigrams at 0.25 each
// (squared mass 0.6 against the word's 1.0), so sub-word overlap helps without drowning exact words.
const WORD_WEIGHT = 1;
const WEAK_WORD_WEIGHT = 0.3;
const NUMBER_WEIGHT = 0.5;
const COMPOUND_WEIGHT = 0.7;
const BIGRAM_WEIGHT = 0.5;
const TRIGRAM_WEIGHT = 0.25;
// Longer runs are usually hashes, base64 or minified code; their trigrams only add noise and time.
const MAX_TRIGRAM_TOKEN_LENGTH = 32;

// Distinct hash seeds keep the families apart: the word `pars` and the compound `pars` never share a feature.
const WORD_SEED = 0x811c9dc5;
const COMPOUND_SEED = 0x2f6b1d3a;
const BIGRAM_SEED = 0x5bd1e995;
const TRIGRAM_SEED = 0x7feb352d;
const START_MARK = 1;
const END_MARK = 2;

const WORD_RUN = /[\p{L}\p{N}\p{M}_$]+/gu;
// Acronyms (`HTTPServer` -> `HTTP`, `Server`), capitalized and lower words, digit runs, caseless scripts.
const DIGITS = /^\p{N}+$/u;
const VOWEL = /[aeiouy]/;

const STOP_WORDS = new Set(
  (
    'a an the and or but nor not no of to in on at by for from with without into onto over under about ' +
    'as is are was were be been being am do does did done has have had it its this that these those ' +
    'there here what which who whom whose when where why how i me my we our us you your he she they ' +
    'them their than too very can could should would will shall may might must just also via per ' +
    // language keywords: in every chunk of code, so they say nothing about which chunk matches
    'const let var return export import async await new self true false null undefined none nil void ' +
    'typeof instanceof else elif case break continue public private protected static readonly'
  ).split(' '),
);

// Words every chunk of code is full of; kept (people search for "the class that ...") but weak.
const WEAK_WORDS = new Set(
  'function class interface type string number boolean object value data get set method extends implements'.split(
    ' ',
  ),
);

const ABBREVIATIONS: Readonly<Record<string, string>> = {
  addr: 'address',
  arg: 'argument',
  args: 'arguments',
  attr: 'attribute',
  attrs: 'attributes',
  auth: 'authentication',
  btn: 'button',
  calc: 'calculate',
  cb: 'callback',
  cfg: 'configuration',
  conf: 'configuration',
  config: 'configuration',
  ctx: 'context',
  cur: 'current',
  curr: 'current',
  db: 'database',
  def: 'definition',
  dep: 'dependency',
  deps: 'dependencies',
  dest: 'destination',
  dir: 'directory',
  doc: 'document',
  docs: 'documents',
  dst: 'destination',
  el: 'element',
  elem: 'element',
  env: 'environment',
  err: 'error',
  evt: 'event',
  fn: 'function',
  func: 'function',
  id: 'identifier',
  ids: 'identifiers',
  idx: 'index',
  img: 'image',
  impl: 'implementation',
  info: 'information',
  init: 'initialize',
  len: 'length',
  lib: 'library',
  max: 'maximum',
  min: 'minimum',
  msg: 'message',
  num: 'number',
  obj: 'object',
  param: 'parameter',
  params: 'parameters',
  pkg: 'package',
  prev: 'previous',
  ref: 'reference',
  refs: 'references',
  repo: 'repository',
  req: 'request',
  res: 'response',
  resp: 'response',
  spec: 'specification',
  src: 'source',
  str: 'string',
  temp: 'temporary',
  tmp: 'temporary',
  util: 'utility',
  utils: 'utilities',
  val: 'value',
};

// Tried longest first; a suffix applies only if at least 4 letters remain (`creation` skips
// `-ation`, which would leave `cre`, and takes `-ion`, leaving `creat` like `create` and `creating`).
const DERIVATIONAL_SUFFIXES = [
  'ization',
  'isation',
  'ation',
  'ition',
  'ment',
  'ness',
  'able',
  'ible',
  'ator',
  'ity',
  'ize',
  'ise',
  'ion',
  'ate',
  'ive',
  'er',
  'or',
  'ly',
] as const;

/** Options for `createLocalEmbedder`. */
export interface LocalEmbedderOptions {
  /** Vector length: 320 hashed features, plus the code model's 128 when it is on (448 by default); 320 without it. */
  readonly dimension?: number;
  /** Append the shipped code model's vector (`code-model.ts`); on by default. */
  readonly codeModel?: boolean;
}

/** The built-in offline embedder (feature hashing; see the top of this file for what it can and cannot do). */
export function createLocalEmbedder(options: LocalEmbedderOptions = {}): Embedder {
  const code = options.codeModel === false ? undefined : shippedCodeModel();
  const dimension = options.dimension ?? HASH_DIMENSION + (code?.dimension ?? 0);
  const min = MIN_DIMENSION + (code?.dimension ?? 0);
  if (!Number.isInteger(dimension) || dimension < min || dimension > MAX_DIMENSION) {
    throw new EmbeddingError(
      'EMBEDDING_CONFIG',
      `Local embedder dimension must be an integer from ${min} to ${MAX_DIMENSION}${code ? ` (the code model takes ${code.dimension})` : ''}, got ${dimension}`,
    );
  }
  return {
    model: `cogo-local-${code ? 'code' : 'hash'}-${LOCAL_EMBEDDER_VERSION}-${dimension}`,
    dimension,
    async embed(texts, embedOptions) {
      embedOptions?.signal?.throwIfAborted();
      return texts.map((text) => embedText(text, dimension, code));
    },
  };
}

/**
 * The words the local embedder and its code model key on: identifier parts (camelCase, snake_case,
 * kebab-case, digit runs split; lowercased) of at least two letters, English function words and
 * language keywords dropped, a few code abbreviations expanded, then stemmed (`stemWord`).
 */
export function wordKeys(text: string): string[] {
  const keys: string[] = [];
  visitWords(
    text,
    () => undefined,
    (_part, key, expanded) => {
      if (expanded !== undefined) keys.push(key);
    },
  );
  return keys;
}

/**
 * The one reading of text both parts share: for each word run, its identifier parts (`onRun`), then
 * each part that counts (2+ letters, not a stop word) with its key (`onPart`): the stem of its
 * abbreviation-expanded form, or, for a digit run, the digits (`expanded` undefined).
 */
function visitWords(
  text: string,
  onRun: (parts: readonly string[]) => void,
  onPart: (part: string, key: string, expanded: string | undefined) => void,
): void {
  for (const run of text.matchAll(WORD_RUN)) {
    const parts = identifierParts(run[0]);
    onRun(parts);
    for (const part of parts) {
      if (part.length < 2 || STOP_WORDS.has(part)) continue;
      if (DIGITS.test(part)) onPart(part, part, undefined);
      else {
        // Own keys only: `constructor` or `toString` must not find Object.prototype's members.
        const expanded = Object.hasOwn(ABBREVIATIONS, part) ? ABBREVIATIONS[part]! : part;
        onPart(part, stemWord(expanded), expanded);
      }
    }
  }
}

/**
 * A light, deterministic English suffix stemmer (lowercase input): plurals, -ed/-ing, then up to two
 * derivational suffixes, then a final -e. It conflates families (`parse`, `parser`, `parsing` ->
 * `pars`); stems are hash keys, not words.
 */
export function stemWord(word: string): string {
  if (word.length <= 2 || DIGITS.test(word)) return word;
  let w = stripPlural(word);
  if (w === 'embed') return w;
  w = stripInflection(w);
  for (let pass = 0; pass < 2; pass++) {
    const suffix = DERIVATIONAL_SUFFIXES.find((s) => w.endsWith(s) && w.length - s.length >= 4);
    if (suffix === undefined) break;
    w = undouble(w.slice(0, -suffix.length));
  }
  if (w.endsWith('e') && w.length >= 3) w = w.slice(0, -1);
  return w;
}

function stripPlural(w: string): string {
  if (w.endsWith('ies') && w.length > 4) return `${w.slice(0, -3)}y`;
  if (w.endsWith('sses')) return w.slice(0, -2);
  if (/(?:x|z|ch|sh)es$/.test(w)) return w.slice(0, -2);
  if (w.endsWith('s') && !/(?:ss|us|is|ias)$/.test(w)) return w.slice(0, -1);
  return w;
}

function stripInflection(w: string): string {
  let stem: string;
  if (w.endsWith('ing')) stem = w.slice(0, -3);
  else if (w.endsWith('ed') && !w.endsWith('eed')) stem = w.slice(0, -2);
  else return w;
  if (stem.length < 2 || !VOWEL.test(stem)) return w;
  // Porter's step 1b: `validat` -> `validate` so the derivational step sees `-ate`.
  if (/(?:at|bl|iz)$/.test(stem)) return `${stem}e`;
  return undouble(stem);
}

// `mapp` -> `map`, `embedd` -> `embed`; not l, s, z (`call`, `pass`, `buzz` are words).
function undouble(w: string): string {
  const last = w.charAt(w.length - 1);
  if (w.length >= 4 && last === w.charAt(w.length - 2) && !/[aeiouylsz]/.test(last)) return w.slice(0, -1);
  return w;
}

function embedText(text: string, dimension: number, code: CodeModel | undefined): number[] {
  const keys: string[] | undefined = code ? [] : undefined;
  const hashed = hashedFeatures(text, dimension - (code?.dimension ?? 0), keys);
  if (!code || !keys) return Array.from(hashed);
  // Two unit-length parts of equal weight, then the whole to unit length (one part may be empty).
  const vector = new Float64Array(dimension);
  vector.set(hashed);
  code.addVector(keys, vector, hashed.length, 1);
  let squares = 0;
  for (const x of vector) squares += x * x;
  const scale = squares > 0 ? 1 / Math.sqrt(squares) : 0;
  return Array.from(vector, (x) => x * scale);
}

/** The hashed part; the words' keys (`wordKeys`) go to `keys` on the way, for the code model. */
function hashedFeatures(text: string, dimension: number, keys?: string[]): Float64Array {
  const bag = new FeatureBag();
  let previousWord: number | undefined;
  visitWords(
    text,
    (parts) => {
      if (parts.length >= 2) bag.add(hashString(COMPOUND_SEED, parts.join('')), COMPOUND_WEIGHT);
    },
    (part, key, expanded) => {
      const wordHash = hashString(WORD_SEED, key);
      if (expanded === undefined) bag.add(wordHash, NUMBER_WEIGHT);
      else {
        keys?.push(key);
        bag.add(wordHash, WEAK_WORDS.has(expanded) ? WEAK_WORD_WEIGHT : WORD_WEIGHT);
        addTrigrams(bag, part);
      }
      if (previousWord !== undefined) {
        bag.add(mix32(Math.imul(previousWord ^ BIGRAM_SEED, 0x9e3779b1) ^ wordHash), BIGRAM_WEIGHT);
      }
      previousWord = wordHash;
    },
  );
  return bag.toVector(dimension);
}

// Trigrams of `^token$`, hashed from char codes without building substrings.
function addTrigrams(bag: FeatureBag, token: string): void {
  const n = Math.min(token.length, MAX_TRIGRAM_TOKEN_LENGTH);
  const code = (i: number): number => (i < 0 ? START_MARK : i >= n ? END_MARK : token.charCodeAt(i));
  for (let i = -1; i < n - 1; i++) {
    let h = TRIGRAM_SEED;
    h = Math.imul(h ^ code(i), 0x01000193);
    h = Math.imul(h ^ code(i + 1), 0x01000193);
    h = Math.imul(h ^ code(i + 2), 0x01000193);
    bag.add(h >>> 0, TRIGRAM_WEIGHT);
  }
}

/** FNV-1a over UTF-16 code units, from a per-family seed. */
function hashString(seed: number, s: string): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** murmur3's 32-bit finalizer: spreads every input bit over the output, for bucket and sign. */
function mix32(x: number): number {
  let h = x;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Feature hash -> (weight, count); collapsed into a signed, sublinear, L2-normalized vector. */
class FeatureBag {
  readonly #slots = new Map<number, number>();
  readonly #hashes: number[] = [];
  readonly #weights: number[] = [];
  readonly #counts: number[] = [];

  add(hash: number, weight: number): void {
    const slot = this.#slots.get(hash);
    if (slot === undefined) {
      this.#slots.set(hash, this.#hashes.length);
      this.#hashes.push(hash);
      this.#weights.push(weight);
      this.#counts.push(1);
    } else {
      this.#counts[slot]! += 1;
    }
  }

  toVector(dimension: number): Float64Array {
    const vector = new Float64Array(dimension);
    for (let i = 0; i < this.#hashes.length; i++) {
      const mixed = mix32(this.#hashes[i]!);
      const sign = mix32(mixed ^ 0x68e31da4) & 1 ? -1 : 1;
      vector[mixed % dimension]! += sign * this.#weights[i]! * (1 + Math.log(this.#counts[i]!));
    }
    let squares = 0;
    for (const x of vector) squares += x * x;
    // An empty (or all stop-word) text stays the zero vector: it is similar to nothing.
    const scale = squares > 0 ? 1 / Math.sqrt(squares) : 0;
    for (let i = 0; i < dimension; i++) vector[i]! *= scale;
    return vector;
  }
}
