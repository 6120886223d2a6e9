import { resolve } from 'node:path';
import { errorMessage } from '../core/index.ts';
import { type Db, vectorStorage } from '../db/index.ts';
import {
  loadScope,
  OBJECT_SELECT,
  type ObjectRow,
  readIndexedFile,
  rowToObject,
  scanRepository,
  scopeMatcher,
} from '../kg/index.ts';
import { type Chunk, chunkCode, chunkMarkdown } from './chunker.ts';
import type { Embedder } from './embedder.ts';
import { recordSearchIndex } from './metrics.ts';
import * as store from './store.ts';

/** Documentation indexed beside the code. */
export const DOC_INCLUDE = ['**/*.md', '**/*.mdx'] as const;

export interface SearchIndexOptions {
  readonly root: string;
  readonly embedder: Embedder;
  readonly maxFileBytes: number;
  /** Texts per embedding request (and per write). */
  readonly embedBatchSize?: number;
}

export interface SearchIndexReport {
  readonly durationMs: number;
  readonly files: {
    readonly chunked: number;
    readonly unchanged: number;
    readonly removed: number;
    readonly changedDuringRun: string[];
  };
  readonly chunks: { readonly written: number; readonly total: number };
  readonly embeddings: {
    readonly model: string;
    readonly dimension: number;
    readonly storage: 'vector' | 'real[]' | 'none';
    readonly embedded: number;
    readonly current: number;
    /** Set when embedding stopped early (a dead provider, say); chunks stay searchable by keyword. */
    readonly error?: string;
  };
}

// Files chunked per transaction.
const FILES_PER_WRITE = 50;

/**
 * Brings the search index up to date with the knowledge graph and the docs: re-chunks files whose
 * content hash changed, drops chunks of files that are gone, and embeds chunks that have no vector
 * for the embedder's model (or one from older content). Running it again changes nothing; an
 * interrupted run resumes where it stopped.
 */
export async function indexSearch(db: Db, options: SearchIndexOptions): Promise<SearchIndexReport> {
  const t0 = performance.now();
  const root = resolve(options.root);
  const { rows: codeFiles } = await db.query<{ path: string; content_hash: string }>(
    "select path, content_hash from kg_files where status = 'indexed' order by path",
  );
  const scope = loadScope(root);
  const docs = scanRepository(root, scopeMatcher({ include: [...DOC_INCLUDE], exclude: scope.exclude }), {
    maxFileBytes: options.maxFileBytes,
  }).files;
  const existing = await store.loadChunkedFiles(db);
  const stale = await store.loadFilesWithStaleObjects(db);
  const wanted = new Map<string, string>([
    ...codeFiles.map((f) => [f.path, f.content_hash] as const),
    ...docs.map((d) => [d.path, d.contentHash] as const),
  ]);
  const changedDuringRun: string[] = [];

  const pending: Array<{ path: string; fileHash: string; chunks: Chunk[] }> = [];
  let written = 0;
  let chunked = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const group = pending.splice(0, pending.length);
    await db.transaction((tx) => store.replaceFileChunks(tx, group));
    written += group.reduce((n, f) => n + f.chunks.length, 0);
    chunked += group.length;
  };
  for (const file of codeFiles) {
    if (existing.get(file.path) === file.content_hash && !stale.has(file.path)) continue;
    // Gone, or the graph was built from another version of the file: wait for the next index run.
    const text = readIndexedFile(root, file.path, file.content_hash);
    if (text === undefined) {
      changedDuringRun.push(file.path);
      continue;
    }
    const { rows } = await db.query<ObjectRow>(
      `select ${OBJECT_SELECT} from cbo_objects where file_path = $1`,
      [file.path],
    );
    pending.push({
      path: file.path,
      fileHash: file.content_hash,
      chunks: chunkCode(file.path, text, rows.map(rowToObject)),
    });
    if (pending.length >= FILES_PER_WRITE) await flush();
  }
  for (const doc of docs) {
    if (existing.get(doc.path) === doc.contentHash) continue;
    pending.push({ path: doc.path, fileHash: doc.contentHash, chunks: chunkMarkdown(doc.path, doc.text) });
    if (pending.length >= FILES_PER_WRITE) await flush();
  }
  await flush();
  const removed = [...existing.keys()].filter((p) => !wanted.has(p) && !changedDuringRun.includes(p));
  await db.transaction((tx) => store.deleteFileChunks(tx, removed));
  if (written > 0 || removed.length > 0) await store.flushSearchIndexes(db);

  const embeddings = await embedPending(db, options);
  const { rows: total } = await db.query<{ n: number }>('select count(*)::int as n from search_chunks');
  const report: SearchIndexReport = {
    durationMs: Math.round(performance.now() - t0),
    files: {
      chunked,
      unchanged: wanted.size - chunked - changedDuringRun.length,
      removed: removed.length,
      changedDuringRun,
    },
    chunks: { written, total: total[0]?.n ?? 0 },
    embeddings,
  };
  recordSearchIndex(report);
  return report;
}

async function embedPending(db: Db, options: SearchIndexOptions): Promise<SearchIndexReport['embeddings']> {
  const { embedder } = options;
  const batchSize = options.embedBatchSize ?? 64;
  const storage = await vectorStorage(db);
  const base = { model: embedder.model, dimension: embedder.dimension, storage };
  if (storage === 'none') return { ...base, embedded: 0, current: 0, error: 'no cbo_embeddings table' };
  let embedded = 0;
  let error: string | undefined;
  for (;;) {
    const batch = await store.chunksToEmbed(db, embedder.model, batchSize);
    if (batch.length === 0) break;
    let vectors: number[][];
    try {
      vectors = await embedder.embed(batch.map((c) => c.text));
    } catch (e) {
      error = errorMessage(e);
      break;
    }
    await store.upsertEmbeddings(
      db,
      storage,
      embedder.model,
      batch.map((c, i) => ({ id: c.id, contentHash: c.content_hash, vector: vectors[i]! })),
    );
    embedded += batch.length;
  }
  // The HNSW index is built after the vectors are in: maintaining it row by row while loading costs
  // about three times as much (bench/search: 19k chunks, 45 s with the index against 13 s without).
  await store.ensureVectorIndex(db, embedder.model, embedder.dimension);
  const current = await store.countEmbeddings(db, embedder.model);
  return error === undefined ? { ...base, embedded, current } : { ...base, embedded, current, error };
}
