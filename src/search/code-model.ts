/**
 * The local embedder's learned part: a small code-search model shipped with cogo (no download).
 *
 * What it is: a table of word vectors (neural bag of words, NBoW; one table for both sides, so a word
 * in a question and the same word in code start from the same vector) trained with an in-batch
 * softmax loss to put a doc comment's first sentence next to the code it documents. The training
 * pairs (about 50k first sentences of doc comments and the declarations under them) come from the
 * sources and type declarations of pinned npm packages (scripts/code-model/packages.txt), not from
 * the packages bench:search measures on, and no pair whose sentence appears in those packages is
 * kept. Training: `npm run model:code` (scripts/code-model/train.ts); it rewrites
 * `models/code-nbow-v1.bin` and prints the SHA-256 to put below.
 *
 * A text's vector is the IDF- and sublinear-tf-weighted sum of its words' vectors, L2-normalized;
 * words are the local embedder's keys (`wordKeys`: identifier parts, stemmed), so a word it never saw
 * in training adds nothing. It knows that words co-occur in documented code ("emits" near `next`,
 * "removes" near `delete`), not what programs do.
 *
 * File format (little-endian): "CGNB", u32 format version (1), u32 dimension, u32 header length,
 * header JSON `{ "vocab": string[], "idf": number[] }`, then per word a f32 scale and `dimension`
 * int8 components (vector = scale * int8 / 127).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { EmbeddingError } from './errors.ts';

export const CODE_MODEL_FILE = new URL('./models/code-nbow-v1.bin', import.meta.url);
/** SHA-256 of the shipped model file; a file that does not match is refused. */
export const CODE_MODEL_SHA256 = '72064c905216f5fd13902b9f26547f5e8ab53632dd6e23634e2db0c400bc2e2f';
const MAGIC = 'CGNB';
const FORMAT_VERSION = 1;

export interface CodeModel {
  readonly dimension: number;
  readonly vocabulary: number;
  /** Adds the text's model vector (unit length, or all zeros when no word is known) into `out` at `offset`, scaled by `weight`. */
  addVector(keys: readonly string[], out: Float64Array, offset: number, weight: number): void;
}

export interface CodeModelTables {
  readonly dimension: number;
  readonly vocab: readonly string[];
  readonly idf: Float32Array;
  /** Row-major, `vocab.length` x `dimension`. */
  readonly vectors: Float32Array;
}

/** Serializes trained tables in the shipped format (int8 with a scale per word). */
export function encodeCodeModel(t: CodeModelTables): Buffer {
  const header = Buffer.from(
    JSON.stringify({ vocab: t.vocab, idf: Array.from(t.idf, (x) => Math.round(x * 1e4) / 1e4) }),
  );
  const fixed = Buffer.alloc(16);
  fixed.write(MAGIC, 0, 'latin1');
  fixed.writeUInt32LE(FORMAT_VERSION, 4);
  fixed.writeUInt32LE(t.dimension, 8);
  fixed.writeUInt32LE(header.length, 12);
  const rows = Buffer.alloc(t.vocab.length * (4 + t.dimension));
  for (let i = 0; i < t.vocab.length; i++) {
    let max = 0;
    for (let d = 0; d < t.dimension; d++) max = Math.max(max, Math.abs(t.vectors[i * t.dimension + d]!));
    const at = i * (4 + t.dimension);
    rows.writeFloatLE(max, at);
    for (let d = 0; d < t.dimension; d++)
      rows.writeInt8(max > 0 ? Math.round((t.vectors[i * t.dimension + d]! / max) * 127) : 0, at + 4 + d);
  }
  return Buffer.concat([fixed, header, rows]);
}

/** Reads a model file; `where` names it in errors. */
export function decodeCodeModel(bytes: Buffer, where: string): CodeModel {
  const fail = (why: string): never => {
    throw new EmbeddingError('EMBEDDING_CONFIG', `Local code model ${where} is unusable: ${why}`);
  };
  if (bytes.length < 16 || bytes.toString('latin1', 0, 4) !== MAGIC) fail('not a cogo code model file');
  const version = bytes.readUInt32LE(4);
  if (version !== FORMAT_VERSION) fail(`format version ${version}, this cogo reads ${FORMAT_VERSION}`);
  const dimension = bytes.readUInt32LE(8);
  const headerLength = bytes.readUInt32LE(12);
  let header: { vocab?: unknown; idf?: unknown };
  try {
    header = JSON.parse(bytes.toString('utf8', 16, 16 + headerLength));
  } catch {
    return fail('its header is not JSON');
  }
  const vocab = header.vocab;
  const idf = header.idf;
  if (!Array.isArray(vocab) || !Array.isArray(idf) || vocab.length !== idf.length)
    fail('its header has no vocabulary');
  const words = vocab as string[];
  const rowBytes = 4 + dimension;
  const rowsAt = 16 + headerLength;
  if (dimension === 0 || bytes.length !== rowsAt + words.length * rowBytes)
    fail(`${bytes.length} bytes where ${rowsAt + words.length * rowBytes} were expected`);
  const vectors = new Float32Array(words.length * dimension);
  for (let i = 0; i < words.length; i++) {
    const scale = bytes.readFloatLE(rowsAt + i * rowBytes) / 127;
    for (let d = 0; d < dimension; d++)
      vectors[i * dimension + d] = scale * bytes.readInt8(rowsAt + i * rowBytes + 4 + d);
  }
  const index = new Map(words.map((w, i) => [w, i]));
  const weights = Float32Array.from(idf as number[]);
  return {
    dimension,
    vocabulary: words.length,
    addVector(keys, out, offset, weight) {
      const tf = new Map<number, number>();
      for (const k of keys) {
        const i = index.get(k);
        if (i !== undefined) tf.set(i, (tf.get(i) ?? 0) + 1);
      }
      if (tf.size === 0) return;
      const v = new Float64Array(dimension);
      for (const [i, n] of tf) {
        const w = (1 + Math.log(n)) * weights[i]!;
        for (let d = 0; d < dimension; d++) v[d]! += w * vectors[i * dimension + d]!;
      }
      let squares = 0;
      for (const x of v) squares += x * x;
      if (squares === 0) return;
      const scale = weight / Math.sqrt(squares);
      for (let d = 0; d < dimension; d++) out[offset + d]! += v[d]! * scale;
    },
  };
}

let shipped: CodeModel | undefined;

/** The model shipped with cogo, read and checked once per process. */
export function shippedCodeModel(): CodeModel {
  shipped ??= loadCodeModel(CODE_MODEL_FILE, CODE_MODEL_SHA256);
  return shipped;
}

/** Reads a model file and checks it against the SHA-256 it must have. */
export function loadCodeModel(file: URL, sha256: string): CodeModel {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new EmbeddingError(
      'EMBEDDING_CONFIG',
      `Local code model ${file.pathname} cannot be read: ${(error as Error).message}`,
    );
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== sha256)
    throw new EmbeddingError(
      'EMBEDDING_CONFIG',
      `Local code model ${file.pathname} has SHA-256 ${sha}, expected ${sha256}: the file is damaged or not the one this cogo ships`,
    );
  return decodeCodeModel(bytes, file.pathname);
}
