import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { identifierParts } from '../core/index.ts';
import {
  CODE_MODEL_FILE,
  CODE_MODEL_SHA256,
  decodeCodeModel,
  encodeCodeModel,
  loadCodeModel,
  shippedCodeModel,
} from './code-model.ts';
import { createLocalEmbedder, stemWord, wordKeys } from './local-embedder.ts';

// The hashed part alone (the first half of the default vector): its lexical properties.
const embedder = createLocalEmbedder({ codeModel: false });

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}

async function embedOne(text: string): Promise<number[]> {
  const [vector] = await embedder.embed([text]);
  return vector!;
}

describe('createLocalEmbedder, hashed features alone (codeModel: false)', () => {
  it('returns one unit-length vector of the configured dimension per text, in order', async () => {
    const vectors = await createLocalEmbedder({ dimension: 256, codeModel: false }).embed([
      'alpha beta',
      'parseConfigFile',
      'retries = 10',
    ]);
    expect(vectors).toHaveLength(3);
    for (const vector of vectors) {
      expect(vector).toHaveLength(256);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 10);
    }
    expect(cosine(vectors[1]!, await embedOneAt(256, 'parseConfigFile'))).toBeCloseTo(1, 10);
  });

  it('names its model with version and dimension, so a change means re-embedding', () => {
    expect(embedder.model).toBe('cogo-local-hash-v1-320');
    expect(embedder.dimension).toBe(320);
    expect(createLocalEmbedder({ dimension: 1024, codeModel: false }).model).toBe('cogo-local-hash-v1-1024');
    expect(createLocalEmbedder().model).toBe('cogo-local-code-v1-448');
    expect(createLocalEmbedder().dimension).toBe(448);
  });

  it('is deterministic across calls and instances', async () => {
    const text = 'export async function migrate(db: Db, migrations: Migration[]): Promise<Report>';
    const [a] = await embedder.embed([text]);
    const [b] = await createLocalEmbedder({ codeModel: false }).embed([text, 'other']);
    expect(a).toEqual(b);
  });

  it('matches prose to the identifier it describes far more than to an unrelated identifier', async () => {
    const query = await embedOne('parse the configuration file');
    const related = cosine(query, await embedOne('parseConfigFile'));
    const unrelated = cosine(query, await embedOne('renderButtonColor'));
    expect(related).toBeGreaterThan(0.5);
    expect(unrelated).toBeLessThan(0.15);
    expect(related).toBeGreaterThan(unrelated + 0.4);
  });

  it('treats camelCase, snake_case, kebab-case and prose spellings of a name as near-identical', async () => {
    const camel = await embedOne('loadUserSettings');
    for (const other of [
      'load_user_settings',
      'load-user-settings',
      'LoadUserSettings',
      'loading user settings',
    ]) {
      expect(cosine(camel, await embedOne(other)), other).toBeGreaterThan(0.6);
    }
  });

  it('finds the right code snippet for each of a dozen prose queries', async () => {
    const snippets = Object.entries(SNIPPETS);
    const vectors = await embedder.embed(snippets.map(([, code]) => code));
    for (const [query, expected] of QUERIES) {
      const q = await embedOne(query);
      const best = snippets
        .map(([name], i) => ({ name, score: cosine(q, vectors[i]!) }))
        .sort((a, b) => b.score - a.score)[0];
      expect(best?.name, query).toBe(expected);
    }
  });

  it('gives the zero vector, not NaN, for empty and stop-word-only texts', async () => {
    const vectors = await embedder.embed(['', '   ', 'the and of', '{}();']);
    for (const vector of vectors) {
      expect(vector).toHaveLength(320);
      expect(vector.every((x) => x === 0)).toBe(true);
    }
    expect(await embedder.embed([])).toEqual([]);
  });

  it('handles non-Latin scripts and very long tokens without NaN', async () => {
    const vectors = await embedder.embed(['设置配置文件 パーサー', `blob ${'A'.repeat(50_000)}`]);
    for (const vector of vectors) {
      expect(vector.every(Number.isFinite)).toBe(true);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 10);
    }
  });

  it('rejects a dimension it cannot produce with EMBEDDING_CONFIG', () => {
    for (const dimension of [0, 3.5, -1, 100_000]) {
      expect(() => createLocalEmbedder({ dimension, codeModel: false })).toThrow(
        expect.objectContaining({ name: 'EmbeddingError', code: 'EMBEDDING_CONFIG', isRetryable: false }),
      );
    }
  });

  it('stops before embedding when the signal is already aborted', async () => {
    await expect(embedder.embed(['a b c'], { signal: AbortSignal.abort() })).rejects.toThrow();
  });

  it('embeds well over 5,000 short texts a second (logged, not asserted)', async () => {
    const texts = Array.from(
      { length: 20_000 },
      (_, i) => `const total${i} = computeTotalPrice(items[${i}], taxRate); // apply the discount`,
    );
    const started = performance.now();
    const vectors = await embedder.embed(texts);
    const seconds = (performance.now() - started) / 1000;
    expect(vectors).toHaveLength(texts.length);
    console.log(
      `local embedder: ${Math.round(texts.length / seconds)} short texts/s (${texts.length} in ${seconds.toFixed(2)} s)`,
    );
  });

  it('embeds words that are also Object.prototype members (constructor, toString, __proto__)', async () => {
    const [v] = await createLocalEmbedder().embed(['constructor toString valueOf hasOwnProperty __proto__']);
    expect(v?.every((x) => Number.isFinite(x))).toBe(true);
    expect(Math.hypot(...v!)).toBeCloseTo(1, 6);
  });
});

describe('identifierParts', () => {
  it('splits camelCase, PascalCase, acronyms, snake_case, kebab-case and digits, lowercased', () => {
    expect(identifierParts('parseHTTPHeader_v2')).toEqual(['parse', 'http', 'header', 'v', '2']);
    expect(identifierParts('XMLHttpRequest')).toEqual(['xml', 'http', 'request']);
    expect(identifierParts('MAX_FILE_BYTES')).toEqual(['max', 'file', 'bytes']);
    expect(identifierParts('max-file-bytes')).toEqual(['max', 'file', 'bytes']);
    expect(identifierParts('base64Encode')).toEqual(['base', '64', 'encode']);
  });
});

describe('stemWord', () => {
  it('conflates the inflections and derivations of a word family', () => {
    const families = [
      ['parse', 'parses', 'parsed', 'parsing', 'parser', 'parsers'],
      ['configure', 'configured', 'configuring', 'configuration', 'configurations'],
      ['create', 'creates', 'created', 'creating', 'creation', 'creator'],
      ['validate', 'validated', 'validating', 'validation', 'validator'],
      ['index', 'indexes', 'indexed', 'indexing', 'indexer'],
      ['embed', 'embeds', 'embedded', 'embedding', 'embeddings', 'embedder'],
      ['query', 'queries'],
      ['map', 'maps', 'mapped', 'mapping'],
      ['call', 'calls', 'called', 'calling', 'caller'],
      ['normalize', 'normalized', 'normalizing', 'normalization'],
    ];
    for (const family of families) {
      expect(new Set(family.map(stemWord)), family.join(' ')).toHaveProperty('size', 1);
    }
  });

  it('leaves words alone where stripping would destroy them', () => {
    expect(stemWord('string')).toBe('string');
    expect(stemWord('status')).toBe('status');
    expect(stemWord('class')).toBe('class');
    expect(stemWord('need')).toBe('need');
    expect(stemWord('2024')).toBe('2024');
  });
});

async function embedOneAt(dimension: number, text: string): Promise<number[]> {
  const [vector] = await createLocalEmbedder({ dimension, codeModel: false }).embed([text]);
  return vector!;
}

const SNIPPETS: Readonly<Record<string, string>> = {
  loadConfig: 'export function loadConfig(env = process.env): CogoConfig { return schema.parse(env); }',
  renderButton:
    'function renderButton(props: ButtonProps) { return <button className={props.color}>{props.label}</button>; }',
  hashPassword:
    'async function hashPassword(password: string, salt: Buffer): Promise<string> { return scrypt(password, salt, 64); }',
  retryWithBackoff:
    'async function retryWithBackoff<T>(fn: () => Promise<T>, maxRetries = 3) { for (let attempt = 0; ; attempt++) { await sleep(2 ** attempt * 100); } }',
  parseCsvRow:
    'function parseCsvRow(line: string): string[] { return line.split(",").map((cell) => cell.trim()); }',
  openDb:
    'export async function openDb(url?: string): Promise<Db> { return url ? createPostgresDb(url) : createPgliteDb(dir); }',
  userRepository:
    'class UserRepository { async findUserByEmail(email: string) { return this.db.query("select * from users where email = $1", [email]); } }',
  httpServer:
    'const server = http.createServer((req, res) => { res.writeHead(200, { "content-type": "application/json" }); res.end(body); });',
  splitIdentifier:
    'export function splitIdentifier(identifier: string): string[] { return identifier.split(/(?=[A-Z])|_/).map((part) => part.toLowerCase()); }',
  migrate:
    'export async function migrate(db: Db, dir: string) { await db.query("select pg_advisory_lock(1)"); for (const file of pending) await applyMigration(db, file); }',
  createLogger:
    'export function createLogger(options: LoggerOptions): Logger { return pino({ level: options.level ?? "info" }); }',
  cosineSimilarity:
    'function cosineSimilarity(a: number[], b: number[]): number { let dot = 0; for (let i = 0; i < a.length; i++) dot += a[i] * b[i]; return dot; }',
};

const QUERIES: readonly (readonly [string, string])[] = [
  ['parse the configuration from environment variables', 'loadConfig'],
  ['where is the password hashed', 'hashPassword'],
  ['retry a failing call with exponential backoff', 'retryWithBackoff'],
  ['parsing CSV rows into cells', 'parseCsvRow'],
  ['open a connection to the database', 'openDb'],
  ['find a user by email address', 'userRepository'],
  ['http server that responds with json', 'httpServer'],
  ['split camelCase identifiers into words', 'splitIdentifier'],
  ['apply database migrations under an advisory lock', 'migrate'],
  ['create the logger', 'createLogger'],
  ['cosine similarity of two vectors', 'cosineSimilarity'],
  ['button rendering', 'renderButton'],
  ['config loading', 'loadConfig'],
  ['db migration', 'migrate'],
];

describe('the shipped code model (the default second part)', () => {
  const full = createLocalEmbedder();
  const codePart = (text: string): Float64Array => {
    const model = shippedCodeModel();
    const v = new Float64Array(model.dimension);
    model.addVector(wordKeys(text), v, 0, 1);
    return v;
  };
  const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
    return s;
  };

  it('relates a description to code that shares none of its words, where hashing cannot', async () => {
    // [description, code it describes, unrelated code]: no stem of the description is in either code.
    const cases = [
      [
        'remove the entry',
        'function deleteItem(key) { store.delete(key) }',
        'function parseJson(text) { return JSON.parse(text) }',
      ],
      [
        'download the page over the network',
        'async function httpGet(url) { return fetch(url) }',
        'function sortNumbers(xs) { return xs.sort() }',
      ],
      ['stop the timer', 'clearTimeout(handle)', 'function toUpperCase(s) { return s.toUpperCase() }'],
      [
        'check whether the text is empty',
        'function isBlank(s) { return s.trim().length === 0 }',
        'function addVectors(a, b) { return a + b }',
      ],
      ['wait for a while', 'await sleep(ms)', 'function encodeBase64(buf) { return buf.toString("base64") }'],
    ] as const;
    for (const [query, related, unrelated] of cases) {
      expect(
        wordKeys(related).some((k) => wordKeys(query).includes(k)),
        query,
      ).toBe(false);
      const q = codePart(query);
      expect(dot(q, codePart(related)), query).toBeGreaterThan(dot(q, codePart(unrelated)) + 0.1);
      // The hashed part alone sees nothing in common.
      const [hq, hr] = await embedder.embed([query, related]);
      expect(Math.abs(dot(hq!, hr!)), query).toBeLessThan(0.1);
    }
  });

  it('gives unit vectors of 448: the hashed part and the model part, of equal weight', async () => {
    const [v] = await full.embed(['export function loadConfig(env = process.env): CogoConfig']);
    expect(v).toHaveLength(448);
    expect(Math.hypot(...v!)).toBeCloseTo(1, 10);
    expect(Math.hypot(...v!.slice(0, 320))).toBeCloseTo(Math.SQRT1_2, 6);
    expect(Math.hypot(...v!.slice(320))).toBeCloseTo(Math.SQRT1_2, 6);
    const [none] = await full.embed(['']);
    expect(none!.every((x) => x === 0)).toBe(true);
  });

  it('still finds the right snippet for each of the dozen prose queries', async () => {
    const snippets = Object.entries(SNIPPETS);
    const vectors = await full.embed(snippets.map(([, code]) => code));
    for (const [query, expected] of QUERIES) {
      const [q] = await full.embed([query]);
      const best = snippets
        .map(([name], i) => ({ name, score: dot(q!, vectors[i]!) }))
        .sort((a, b) => b.score - a.score)[0];
      expect(best?.name, query).toBe(expected);
    }
  });

  it('refuses a dimension that leaves the hashed part too small', () => {
    expect(() => createLocalEmbedder({ dimension: 128 })).toThrow(
      expect.objectContaining({
        code: 'EMBEDDING_CONFIG',
        message: expect.stringContaining('code model takes 128'),
      }),
    );
    expect(createLocalEmbedder({ dimension: 256 }).model).toBe('cogo-local-code-v1-256');
  });

  it('reads back what it writes (int8 with a scale per word)', () => {
    const vectors = Float32Array.from({ length: 3 * 4 }, (_, i) => Math.sin(i + 1));
    const model = decodeCodeModel(
      encodeCodeModel({
        dimension: 4,
        vocab: ['alpha', 'beta', 'gamma'],
        idf: Float32Array.of(1, 2, 3),
        vectors,
      }),
      'test.bin',
    );
    expect(model).toMatchObject({ dimension: 4, vocabulary: 3 });
    const out = new Float64Array(4);
    model.addVector(['beta', 'unknown'], out, 0, 1);
    const expected = Array.from(vectors.slice(4, 8));
    const norm = Math.hypot(...expected);
    for (let d = 0; d < out.length; d++) expect(out[d]).toBeCloseTo(expected[d]! / norm, 2);
  });

  it('refuses a damaged model file with EMBEDDING_CONFIG naming it', () => {
    const good = encodeCodeModel({
      dimension: 2,
      vocab: ['a'],
      idf: Float32Array.of(1),
      vectors: Float32Array.of(1, 0),
    });
    const damaged = [
      Buffer.from('not a model at all'),
      good.subarray(0, good.length - 1),
      Buffer.concat([Buffer.from('CGNB'), Buffer.from([9, 0, 0, 0]), good.subarray(8)]),
    ];
    for (const bytes of damaged)
      expect(() => decodeCodeModel(bytes, '/tmp/broken.bin')).toThrow(
        expect.objectContaining({
          code: 'EMBEDDING_CONFIG',
          message: expect.stringContaining('/tmp/broken.bin'),
        }),
      );
    // A well-formed file that is not the one shipped, and a file that is not there.
    const other = join(tmpdir(), `cogo-other-model-${process.pid}.bin`);
    writeFileSync(other, good);
    expect(() => loadCodeModel(pathToFileURL(other), CODE_MODEL_SHA256)).toThrow(
      expect.objectContaining({ code: 'EMBEDDING_CONFIG', message: expect.stringContaining('SHA-256') }),
    );
    expect(() => loadCodeModel(pathToFileURL(`${other}.missing`), CODE_MODEL_SHA256)).toThrow(
      expect.objectContaining({
        code: 'EMBEDDING_CONFIG',
        message: expect.stringContaining('cannot be read'),
      }),
    );
    expect(loadCodeModel(CODE_MODEL_FILE, CODE_MODEL_SHA256).vocabulary).toBeGreaterThan(1000);
  });
});
