import type { Db } from '../db/index.ts';
import type { CboObject, CboRelation } from './model.ts';
import type { CallStats } from './ts/relations.ts';

/** One row of `kg_files`: what cogo last saw of a file in scope. */
export interface FileRecord {
  readonly path: string;
  readonly language: string;
  readonly project: string | null;
  readonly content_hash: string;
  readonly size_bytes: number;
  readonly line_count: number | null;
  readonly status: 'indexed' | 'skipped';
  readonly reason: string | null;
  readonly affects_globals: boolean;
  readonly unresolved_imports: number;
  readonly depends_on: readonly string[];
  readonly calls: Partial<CallStats>;
}

// Rows per statement: keeps each JSON parameter to a few MB.
const BATCH = 1000;

function batches<T>(rows: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += BATCH) out.push(rows.slice(i, i + BATCH));
  return out;
}

const OBJECT_COLUMNS = `id text, kind text, name text, qualified_name text, file_path text, language text, signature text,
  start_line integer, end_line integer, params_json jsonb, returns_json jsonb, fields_json jsonb, doc text,
  metadata jsonb, content_hash text`;

function objectRow(o: CboObject, contentHash: string | null) {
  return { ...o, language: o.metadata.language, content_hash: contentHash };
}

/** Inserts objects; `contentHashByPath` gives each object the hash of the file it came from. */
export async function insertObjects(
  db: Db,
  objects: readonly CboObject[],
  contentHashByPath: ReadonlyMap<string, string>,
): Promise<void> {
  for (const batch of batches(objects)) {
    const rows = batch.map((o) =>
      objectRow(o, o.file_path === null ? null : (contentHashByPath.get(o.file_path) ?? null)),
    );
    await db.query(
      `insert into cbo_objects (id, kind, name, qualified_name, file_path, language, signature, start_line, end_line,
         params_json, returns_json, fields_json, doc, metadata, content_hash)
       select id, kind, name, qualified_name, file_path, language, signature, start_line, end_line,
         params_json, returns_json, fields_json, doc, metadata, content_hash
       from jsonb_to_recordset($1::jsonb) as x(${OBJECT_COLUMNS})`,
      [JSON.stringify(rows)],
    );
  }
}

/** Inserts external module objects that are not there yet (they are shared by every importer). */
export async function upsertExternalModules(db: Db, objects: readonly CboObject[]): Promise<void> {
  const unique = [...new Map(objects.map((o) => [o.id, o])).values()];
  for (const batch of batches(unique)) {
    await db.query(
      `insert into cbo_objects (id, kind, name, qualified_name, file_path, language, signature, start_line, end_line,
         params_json, returns_json, fields_json, doc, metadata, content_hash)
       select id, kind, name, qualified_name, file_path, language, signature, start_line, end_line,
         params_json, returns_json, fields_json, doc, metadata, content_hash
       from jsonb_to_recordset($1::jsonb) as x(${OBJECT_COLUMNS})
       on conflict (id) do nothing`,
      [JSON.stringify(batch.map((o) => objectRow(o, null)))],
    );
  }
}

export async function insertRelations(db: Db, relations: readonly CboRelation[]): Promise<void> {
  for (const batch of batches(relations)) {
    const rows = batch.map((r) => ({ ...r, evidence_file: r.evidence.file, evidence_line: r.evidence.line }));
    await db.query(
      `insert into cbo_relations (id, kind, src_id, dst_id, resolver, confidence, evidence_file, evidence_line, metadata)
       select id, kind, src_id, dst_id, resolver, confidence, evidence_file, evidence_line, metadata
       from jsonb_to_recordset($1::jsonb) as x(id text, kind text, src_id text, dst_id text, resolver text,
         confidence real, evidence_file text, evidence_line integer, metadata jsonb)`,
      [JSON.stringify(rows)],
    );
  }
}

/** Removes the objects of these files and every relation whose evidence is in them. */
export async function deleteFileGraphs(db: Db, paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  await db.query('delete from cbo_relations where evidence_file = any($1::text[])', [paths]);
  await db.query('delete from cbo_objects where file_path = any($1::text[])', [paths]);
}

/** Removes the whole graph and file list (a full rebuild). */
export async function deleteAllGraphs(db: Db): Promise<void> {
  await db.exec('delete from cbo_relations; delete from cbo_objects; delete from kg_files;');
}

/** Drops external modules nothing imports any more. */
export async function deleteOrphanExternalModules(db: Db): Promise<number> {
  const { rowCount } = await db.query(
    `delete from cbo_objects o where o.file_path is null
       and not exists (select 1 from cbo_relations r where r.dst_id = o.id)`,
  );
  return rowCount;
}

export async function loadFileRecords(db: Db): Promise<Map<string, FileRecord>> {
  const { rows } = await db.query<FileRecord & { size_bytes: string | number }>(
    `select path, language, project, content_hash, size_bytes, line_count, status, reason, affects_globals,
            unresolved_imports, depends_on, calls from kg_files`,
  );
  return new Map(rows.map((r) => [r.path, { ...r, size_bytes: Number(r.size_bytes) }]));
}

export async function upsertFileRecords(db: Db, records: readonly FileRecord[]): Promise<void> {
  for (const batch of batches(records)) {
    await db.query(
      `insert into kg_files (path, language, project, content_hash, size_bytes, line_count, status, reason,
         affects_globals, unresolved_imports, depends_on, calls, indexed_at)
       select path, language, project, content_hash, size_bytes, line_count, status, reason,
         affects_globals, unresolved_imports, depends_on, calls, now()
       from jsonb_to_recordset($1::jsonb) as x(path text, language text, project text, content_hash text,
         size_bytes bigint, line_count integer, status text, reason text, affects_globals boolean,
         unresolved_imports integer, depends_on jsonb, calls jsonb)
       on conflict (path) do update set language = excluded.language, project = excluded.project,
         content_hash = excluded.content_hash, size_bytes = excluded.size_bytes, line_count = excluded.line_count,
         status = excluded.status, reason = excluded.reason, affects_globals = excluded.affects_globals,
         unresolved_imports = excluded.unresolved_imports, depends_on = excluded.depends_on,
         calls = excluded.calls, indexed_at = now()`,
      [JSON.stringify(batch)],
    );
  }
}

export async function deleteFileRecords(db: Db, paths: readonly string[]): Promise<void> {
  if (paths.length > 0) await db.query('delete from kg_files where path = any($1::text[])', [paths]);
}

/** Files that depend on any of `paths`, directly or through other files (reverse transitive closure of `depends_on`). */
export async function findDependents(db: Db, paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const { rows } = await db.query<{ path: string }>(
    `with recursive dep(path) as (
       select unnest($1::text[])
       union
       select f.path from kg_files f join dep on f.depends_on ? dep.path
     )
     select path from dep order by 1`,
    [paths],
  );
  return rows.map((r) => r.path);
}

export async function getMeta<T>(db: Db, key: string): Promise<T | undefined> {
  const { rows } = await db.query<{ value: T }>('select value from kg_meta where key = $1', [key]);
  return rows[0]?.value;
}

export async function setMeta(db: Db, key: string, value: unknown): Promise<void> {
  await db.query(
    `insert into kg_meta (key, value, updated_at) values ($1, $2::jsonb, now())
     on conflict (key) do update set value = excluded.value, updated_at = now()`,
    [key, JSON.stringify(value)],
  );
}

export async function insertIndexRun(
  db: Db,
  run: { startedAt: Date; mode: string; report: unknown },
): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `insert into kg_index_runs (started_at, finished_at, mode, report) values ($1, now(), $2, $3::jsonb) returning id`,
    [run.startedAt, run.mode, JSON.stringify(run.report)],
  );
  return Number(rows[0]!.id);
}

/** Object counts by kind and relation counts by kind across the whole graph. */
export async function countGraph(
  db: Db,
): Promise<{ objects: Record<string, number>; relations: Record<string, number> }> {
  const objects = await db.query<{ kind: string; n: number }>(
    'select kind, count(*)::int as n from cbo_objects group by kind order by kind',
  );
  const relations = await db.query<{ kind: string; n: number }>(
    'select kind, count(*)::int as n from cbo_relations group by kind order by kind',
  );
  return {
    objects: Object.fromEntries(objects.rows.map((r) => [r.kind, r.n])),
    relations: Object.fromEntries(relations.rows.map((r) => [r.kind, r.n])),
  };
}
