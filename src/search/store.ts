import { createHash } from 'node:crypto';
import { type Db, vectorStorage } from '../db/index.ts';
import type { Chunk } from './chunker.ts';

// Files per transaction: an interrupted run keeps what it wrote and resumes at the next group.
const BATCH = 500;

/** Every chunked path with the hash of the file its chunks were cut from. */
export async function loadChunkedFiles(db: Db): Promise<Map<string, string>> {
  const { rows } = await db.query<{ path: string; file_hash: string }>(
    'select distinct path, file_hash from search_chunks',
  );
  return new Map(rows.map((r) => [r.path, r.file_hash]));
}

/**
 * Code files whose chunks no longer match the graph although the file did not change: a chunk
 * names an object that is gone, or an object has no chunk. An object's kind can change with
 * another file (`export const x = make()` is a function once `make` returns one), and its id with it.
 */
export async function loadFilesWithStaleObjects(db: Db): Promise<Set<string>> {
  const { rows } = await db.query<{ path: string }>(
    `select distinct c.path from search_chunks c
       where c.object_id is not null and not exists (select 1 from cbo_objects o where o.id = c.object_id)
     union
     select distinct o.file_path from cbo_objects o
      where o.file_path is not null and o.kind <> 'module'
        and coalesce(o.metadata->>'binding', '') <> 'enum_member'
        and not exists (select 1 from search_chunks c where c.object_id = o.id)`,
  );
  return new Set(rows.map((r) => r.path));
}

/** Replaces the chunks of these files, dropping embeddings of chunks that are gone. */
export async function replaceFileChunks(
  db: Db,
  files: ReadonlyArray<{ path: string; fileHash: string; chunks: readonly Chunk[] }>,
): Promise<void> {
  if (files.length === 0) return;
  const paths = files.map((f) => f.path);
  const keep = files.flatMap((f) => f.chunks.map((c) => c.id));
  await db.query(
    `delete from cbo_embeddings where owner_id in (select id from search_chunks where path = any($1::text[]))
       and not (owner_id = any($2::text[]))`,
    [paths, keep],
  );
  await db.query('delete from search_chunks where path = any($1::text[])', [paths]);
  const rows = files.flatMap((f) =>
    f.chunks.map((c) => ({
      id: c.id,
      object_id: c.objectId,
      path: c.path,
      language: c.language,
      kind: c.kind,
      symbol: c.symbol,
      name: c.name,
      signature: c.signature,
      start_line: c.startLine,
      end_line: c.endLine,
      part: c.part,
      content: c.content,
      content_hash: c.contentHash,
      file_hash: f.fileHash,
      tags: c.tags,
      kw_a: c.keywords.a,
      kw_b: c.keywords.b,
      kw_c: c.keywords.c,
      kw_d: c.keywords.d,
    })),
  );
  for (let i = 0; i < rows.length; i += BATCH) {
    await db.query(
      `insert into search_chunks (id, object_id, path, language, kind, symbol, name, signature, start_line,
         end_line, part, content, content_hash, file_hash, tags, keywords)
       select id, object_id, path, language, kind, symbol, name, signature, start_line, end_line, part,
         content, content_hash, file_hash, array(select jsonb_array_elements_text(tags)),
         setweight(to_tsvector('simple', kw_a), 'A') || setweight(to_tsvector('simple', kw_b), 'B') ||
         setweight(to_tsvector('english', kw_c), 'C') || setweight(to_tsvector('simple', kw_d), 'D')
       from jsonb_to_recordset($1::jsonb) as x(id text, object_id text, path text, language text, kind text,
         symbol text, name text, signature text, start_line integer, end_line integer, part integer,
         content text, content_hash text, file_hash text, tags jsonb, kw_a text, kw_b text, kw_c text, kw_d text)`,
      [JSON.stringify(rows.slice(i, i + BATCH))],
    );
  }
}

export async function deleteFileChunks(db: Db, paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  await db.query(
    'delete from cbo_embeddings where owner_id in (select id from search_chunks where path = any($1::text[]))',
    [paths],
  );
  await db.query('delete from search_chunks where path = any($1::text[])', [paths]);
}

// The GIN indexes of the names' trigrams: the chunks' (prefix matches) and the distinct names' (typos).
const GIN_INDEXES = ['search_chunks_name_trgm_idx', 'search_names_trgm_idx'] as const;

/**
 * After a write: moves the GIN indexes' pending lists (new entries kept aside, GIN's fastupdate) into
 * the indexes proper, and vacuums the postings so keyword retrieval reads them from their index alone
 * (an index-only scan reads the table for every row of a page not marked all-visible, and PGlite
 * never vacuums by itself). Returns the GIN pages it cleared: every name search scans the whole
 * pending list (up to 4 MB) until a vacuum; after a bulk write to 10k chunks, keyword retrieval took
 * 47 ms on the server before and 8.5 ms after, when it still read a GIN index. Runs outside a transaction.
 */
export async function flushSearchIndexes(db: Db): Promise<number> {
  const { rows } = await db.query<{ pages: string }>(
    'select coalesce(sum(gin_clean_pending_list(i::regclass)), 0) as pages from unnest($1::text[]) as i',
    [GIN_INDEXES],
  );
  await db.exec('vacuum search_postings');
  return Number(rows[0]?.pages ?? 0);
}

export interface ChunkToEmbed {
  readonly id: string;
  readonly content_hash: string;
  readonly text: string;
}

/** Chunks with no embedding for `model`, or one computed from older content. */
export async function chunksToEmbed(db: Db, model: string, limit: number): Promise<ChunkToEmbed[]> {
  const { rows } = await db.query<ChunkToEmbed>(
    `select c.id, c.content_hash,
            left(concat_ws(E'\\n', c.symbol, c.signature, c.content), 2000) as text
       from search_chunks c
       left join cbo_embeddings e on e.owner_id = c.id and e.model = $1
      where e.owner_id is null or e.content_hash is distinct from c.content_hash
      order by c.id limit $2`,
    [model, limit],
  );
  return rows;
}

export async function countEmbeddings(db: Db, model: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    `select count(*)::int as n from cbo_embeddings e join search_chunks c on c.id = e.owner_id
      where e.model = $1 and e.content_hash = c.content_hash`,
    [model],
  );
  return rows[0]?.n ?? 0;
}

/** Writes vectors as pgvector values or as `real[]`, whichever the database stores. */
export async function upsertEmbeddings(
  db: Db,
  storage: 'vector' | 'real[]',
  model: string,
  rows: ReadonlyArray<{ id: string; contentHash: string; vector: readonly number[] }>,
): Promise<void> {
  if (rows.length === 0) return;
  const literal = (v: readonly number[]) => (storage === 'vector' ? `[${v.join(',')}]` : `{${v.join(',')}}`);
  const cast = storage === 'vector' ? 'vector' : 'real[]';
  await db.query(
    `insert into cbo_embeddings (owner_id, model, dim, embedding, content_hash, updated_at)
     select id, $2, dim, embedding::${cast}, content_hash, now()
       from jsonb_to_recordset($1::jsonb) as x(id text, dim integer, embedding text, content_hash text)
     on conflict (owner_id, model) do update set dim = excluded.dim, embedding = excluded.embedding,
       content_hash = excluded.content_hash, updated_at = now()`,
    [
      JSON.stringify(
        rows.map((r) => ({
          id: r.id,
          dim: r.vector.length,
          embedding: literal(r.vector),
          content_hash: r.contentHash,
        })),
      ),
      model,
    ],
  );
}

const MODEL_NAME = /^[A-Za-z0-9._:/@+-]{1,200}$/;

/** A model name safe to inline in SQL (index predicates must be literals to be matched by the planner). */
export function modelLiteral(model: string): string {
  if (!MODEL_NAME.test(model))
    throw new Error(`embedding model name ${JSON.stringify(model)} has characters cogo does not accept`);
  return `'${model}'`;
}

export function vectorIndexName(model: string, dimension: number): string {
  return `cbo_embeddings_hnsw_${createHash('sha256').update(`${model}\u0000${dimension}`).digest('hex').slice(0, 12)}`;
}

/** Creates the HNSW index (cosine) for one model's vectors when the database has pgvector. */
export async function ensureVectorIndex(
  db: Db,
  model: string,
  dimension: number,
): Promise<'vector' | 'real[]' | 'none'> {
  const storage = await vectorStorage(db);
  if (storage !== 'vector') return storage;
  await db.exec(
    `create index if not exists ${vectorIndexName(model, dimension)} on cbo_embeddings
       using hnsw ((embedding::vector(${Math.floor(dimension)})) vector_cosine_ops) where model = ${modelLiteral(model)}`,
  );
  return storage;
}

/** The hash of the file each path's chunks were cut from (docs files have no `kg_files` row). */
export async function chunkFileHashes(db: Db, paths: readonly string[]): Promise<Map<string, string>> {
  if (paths.length === 0) return new Map();
  const { rows } = await db.query<{ path: string; file_hash: string }>(
    'select distinct on (path) path, file_hash from search_chunks where path = any($1::text[]) order by path',
    [paths],
  );
  return new Map(rows.map((r) => [r.path, r.file_hash]));
}
