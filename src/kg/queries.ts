import type { Db } from '../db/index.ts';
import type { CboObject, RelationKind } from './model.ts';
import { OBJECT_SELECT, type ObjectRow, rowToObject } from './rows.ts';

export const GRAPH_QUERIES = ['defs', 'callers', 'callees', 'implementations', 'impact'] as const;
export type GraphQuery = (typeof GRAPH_QUERIES)[number];

/** One object a graph query reached, how far from the start, and the edge that led there. */
export interface GraphHit {
  readonly object: CboObject;
  readonly depth: number;
  readonly via: RelationKind | null;
  readonly evidence: { readonly file: string; readonly line: number } | null;
}

export interface GraphResult {
  readonly query: GraphQuery;
  readonly symbol: string;
  /** The definitions the symbol names; the other hits are measured from these. */
  readonly targets: readonly CboObject[];
  readonly hits: readonly GraphHit[];
}

export const MAX_GRAPH_DEPTH = 10;

/**
 * Objects a symbol names: an exact qualified name (`Class.method`, `Namespace.fn`), a module path,
 * a module-qualified name (`Api.map`: `map` in the module `Api` stands for), or a bare name.
 * Exact qualified names win, then module-qualified names; otherwise every object with that bare
 * name (or a qualified name ending in `.symbol`) is returned.
 */
export async function findDefinitions(db: Db, symbol: string): Promise<CboObject[]> {
  const { rows } = await db.query<ObjectRow>(
    `select ${OBJECT_SELECT} from cbo_objects
      where qualified_name = $1 or name = $1 or file_path = $1 or qualified_name like '%.' || $1
      order by (qualified_name = $1 or file_path = $1) desc, file_path nulls last, start_line`,
    [symbol],
  );
  const exact = rows.filter(
    (r) => r.qualified_name === symbol || (r.kind === 'module' && r.file_path === symbol),
  );
  if (exact.length > 0) return exact.map(rowToObject);
  const dot = symbol.indexOf('.');
  if (dot > 0 && dot < symbol.length - 1) {
    const inModule = await moduleQualified(db, symbol.slice(0, dot), symbol.slice(dot + 1));
    if (inModule.length > 0) return inModule;
  }
  return rows.map(rowToObject);
}

/**
 * `Api.map` as people write it: `map` declared in a module that `Api` stands for, which is a
 * namespace export (`export * as Api from './api'`), a namespace import somewhere in the
 * repository (`import * as Api from './api'`), or a module whose file is named `Api` (`Api.ts`,
 * `api.ts`, `Api/index.ts`).
 */
async function moduleQualified(db: Db, prefix: string, rest: string): Promise<CboObject[]> {
  const { rows } = await db.query<ObjectRow>(
    `with modules as (
       select m.file_path from cbo_relations r
         join cbo_objects n on n.id = r.src_id
         join cbo_objects m on m.id = r.dst_id
        where r.kind = 'imports' and n.kind = 'namespace' and n.qualified_name = $1 and m.file_path is not null
       union
       select m.file_path from cbo_relations r join cbo_objects m on m.id = r.dst_id
        where r.kind = 'imports' and r.metadata->'aliases' ? $1 and m.file_path is not null
       union
       select file_path from cbo_objects
        where kind = 'module' and file_path is not null
          and (lower(regexp_replace(name, '\\.[^.]*$', '')) = lower($1)
               or lower(file_path) like '%/' || lower($1) || '/index.%')
     )
     select ${OBJECT_SELECT} from cbo_objects
      where qualified_name = $2 and file_path in (select file_path from modules)
      order by file_path, start_line`,
    [prefix, rest],
  );
  return rows.map(rowToObject);
}

function clampDepth(depth: number): number {
  return Math.max(1, Math.min(MAX_GRAPH_DEPTH, Math.floor(depth)));
}

interface WalkRow extends ObjectRow {
  depth: number;
  via: RelationKind;
  evidence_file: string;
  evidence_line: number;
  total: number;
}

/** The first hits of a walk, in its order, and how many objects the whole walk reaches. */
interface Walked {
  readonly hits: GraphHit[];
  readonly total: number;
}

/**
 * Walks relations of the given kinds from `startIds` up to `depth` hops, backwards (to sources)
 * or forwards (to targets). Each object is reported once, at its smallest depth, in order of depth,
 * file and line; `limit` keeps the first ones, and `total` counts them all (`count(*)` over the
 * same walk, before the limit).
 */
async function walk(
  db: Db,
  startIds: readonly string[],
  kinds: readonly RelationKind[],
  direction: 'in' | 'out',
  depth: number,
  limit: number | null = null,
): Promise<Walked> {
  if (startIds.length === 0) return { hits: [], total: 0 };
  const [from, to] = direction === 'in' ? ['dst_id', 'src_id'] : ['src_id', 'dst_id'];
  const { rows } = await db.query<WalkRow>(
    `with recursive reach(id, depth, via, evidence_file, evidence_line) as (
       select r.${to}, 1, r.kind, r.evidence_file, r.evidence_line
         from cbo_relations r where r.${from} = any($1::text[]) and r.kind = any($2::text[])
       union
       select r.${to}, reach.depth + 1, r.kind, r.evidence_file, r.evidence_line
         from reach join cbo_relations r on r.${from} = reach.id
        where reach.depth < $3 and r.kind = any($2::text[])
     ),
     best as (
       select distinct on (id) id, depth, via, evidence_file, evidence_line from reach
        where not (id = any($1::text[]))
        order by id, depth, evidence_file, evidence_line
     )
     select ${OBJECT_SELECT.replace(/(\w+)/g, 'o.$1')}, b.depth, b.via, b.evidence_file, b.evidence_line,
            (count(*) over ())::int as total
       from best b join cbo_objects o on o.id = b.id
      order by b.depth, o.file_path nulls last, o.start_line, o.id
      limit $4`,
    [startIds, kinds, clampDepth(depth), limit === null ? null : Math.max(1, Math.floor(limit))],
  );
  return {
    hits: rows.map((r) => ({
      object: rowToObject(r),
      depth: r.depth,
      via: r.via,
      evidence: { file: r.evidence_file, line: r.evidence_line },
    })),
    total: rows[0]?.total ?? 0,
  };
}

async function containedIds(db: Db, ids: readonly string[]): Promise<string[]> {
  const { rows } = await db.query<{ dst_id: string }>(
    `select dst_id from cbo_relations where kind = 'contains' and src_id = any($1::text[])`,
    [ids],
  );
  return rows.map((r) => r.dst_id);
}

/**
 * Types that implement or extend the targets (transitively); for a method, the same-named methods
 * of those types. The method hits are put together from whole walks, so `total` counts them all.
 */
async function implementations(
  db: Db,
  targets: readonly CboObject[],
  depth: number,
  limit: number | null,
): Promise<Walked> {
  const types = targets.filter((t) => t.kind !== 'method' && t.kind !== 'function');
  const methods = targets.filter((t) => t.kind === 'method');
  const typeIds = types.map((t) => t.id);
  if (methods.length === 0) return walk(db, typeIds, ['implements', 'extends'], 'in', depth, limit);
  const { hits } = await walk(db, typeIds, ['implements', 'extends'], 'in', depth);
  const { rows: owners } = await db.query<{ src_id: string; name: string }>(
    `select r.src_id, o.name from cbo_relations r join cbo_objects o on o.id = r.dst_id
      where r.kind = 'contains' and r.dst_id = any($1::text[])`,
    [methods.map((m) => m.id)],
  );
  for (const owner of owners) {
    const { hits: subtypes } = await walk(db, [owner.src_id], ['implements', 'extends'], 'in', depth);
    const { rows } = await db.query<ObjectRow & { src_id: string }>(
      `select ${OBJECT_SELECT.replace(/(\w+)/g, 'o.$1')}, r.src_id from cbo_relations r join cbo_objects o on o.id = r.dst_id
        where r.kind = 'contains' and r.src_id = any($1::text[]) and o.kind = 'method' and o.name = $2`,
      [subtypes.map((s) => s.object.id), owner.name],
    );
    // In the walk's order (depth, file, line), as the type hits are.
    const order = new Map(subtypes.map((s, i) => [s.object.id, i]));
    rows.sort((a, b) => order.get(a.src_id)! - order.get(b.src_id)!);
    for (const r of rows) {
      const via = subtypes[order.get(r.src_id)!]!;
      hits.push({ object: rowToObject(r), depth: via.depth, via: via.via, evidence: via.evidence });
    }
  }
  return { hits: limit === null ? hits : hits.slice(0, Math.max(1, limit)), total: hits.length };
}

const IMPACT_KINDS: readonly RelationKind[] = [
  'calls',
  'uses_type',
  'returns_type',
  'extends',
  'implements',
  'imports',
];

/** The hops a query follows when no depth is given: impact 3, implementations all (10), else 1. */
function defaultDepth(query: GraphQuery): number {
  if (query === 'impact') return 3;
  return query === 'implementations' ? MAX_GRAPH_DEPTH : 1;
}

async function hitsOf(
  db: Db,
  query: GraphQuery,
  targets: readonly CboObject[],
  depth: number,
  limit: number | null,
): Promise<Walked> {
  const ids = targets.map((t) => t.id);
  switch (query) {
    case 'defs':
      return { hits: [], total: 0 };
    case 'callers':
      return walk(db, ids, ['calls'], 'in', depth, limit);
    case 'callees':
      return walk(db, ids, ['calls'], 'out', depth, limit);
    case 'implementations':
      return implementations(db, targets, depth, limit);
    case 'impact':
      // The walk leaves out its start objects: the targets and everything they contain.
      return walk(db, [...ids, ...(await containedIds(db, ids))], IMPACT_KINDS, 'in', depth, limit);
  }
}

/**
 * Runs a graph query for a symbol. `depth` bounds the hops (1 = direct callers/callees; impact
 * defaults to 3). Impact starts from the symbol and everything it contains.
 */
export async function queryGraph(
  db: Db,
  query: GraphQuery,
  symbol: string,
  depth?: number,
): Promise<GraphResult> {
  const targets = await findDefinitions(db, symbol);
  const { hits } = await hitsOf(db, query, targets, depth ?? defaultDepth(query), null);
  return { query, symbol, targets, hits };
}

function where(o: CboObject): string {
  return o.file_path === null ? '(external)' : `${o.file_path}:${o.start_line}-${o.end_line}`;
}

/** Human-readable lines for a graph result. */
export function formatGraphResult(result: GraphResult): string {
  if (result.targets.length === 0) return `No definition named ${result.symbol}.`;
  const lines = result.targets.map((t) => `${t.kind} ${t.qualified_name}  ${where(t)}\n    ${t.signature}`);
  if (result.query === 'defs') return lines.join('\n');
  lines.push(`${result.query} (${result.hits.length}):`);
  if (result.hits.length === 0) lines.push('  (none)');
  for (const h of result.hits) {
    const at = h.evidence ? ` at ${h.evidence.file}:${h.evidence.line}` : '';
    lines.push(
      `  ${'  '.repeat(h.depth - 1)}${h.object.kind} ${h.object.qualified_name}  ${where(h.object)}  [${h.via}${at}]`,
    );
  }
  return lines.join('\n');
}

/** One relation from or to a set of objects, with the object at its other end. */
export interface RelationHit {
  readonly kind: RelationKind;
  /** The object of the start set this relation touches. */
  readonly startId: string;
  readonly object: CboObject;
  readonly evidence: { readonly file: string; readonly line: number };
}

/**
 * Relations of the given kinds into (`in`: the other end is the source) or out of the start
 * objects, one hop, at most `limitPerStart` per start object and kind, in file and line order.
 */
export async function relationsOf(
  db: Db,
  startIds: readonly string[],
  kinds: readonly RelationKind[],
  direction: 'in' | 'out',
  limitPerStart = 50,
): Promise<RelationHit[]> {
  if (startIds.length === 0) return [];
  const [start, other] = direction === 'in' ? ['dst_id', 'src_id'] : ['src_id', 'dst_id'];
  const { rows } = await db.query<
    ObjectRow & { rel_kind: RelationKind; start_id: string; evidence_file: string; evidence_line: number }
  >(
    `select * from (
       select ${OBJECT_SELECT.replace(/(\w+)/g, 'o.$1')}, r.kind as rel_kind, r.${start} as start_id,
              r.evidence_file, r.evidence_line,
              row_number() over (partition by r.${start}, r.kind order by r.evidence_file, r.evidence_line, o.id) as n
         from cbo_relations r join cbo_objects o on o.id = r.${other}
        where r.${start} = any($1::text[]) and r.kind = any($2::text[])
     ) x where n <= $3
     order by evidence_file, evidence_line, id`,
    [startIds, kinds, limitPerStart],
  );
  return rows.map((r) => ({
    kind: r.rel_kind,
    startId: r.start_id,
    object: rowToObject(r),
    evidence: { file: r.evidence_file, line: r.evidence_line },
  }));
}

/** Objects by id, in the order of `ids`; unknown ids are left out. */
export async function loadObjects(db: Db, ids: readonly string[]): Promise<CboObject[]> {
  if (ids.length === 0) return [];
  const { rows } = await db.query<ObjectRow>(
    `select ${OBJECT_SELECT} from cbo_objects where id = any($1::text[])`,
    [ids],
  );
  const byId = new Map(rows.map((r) => [r.id, rowToObject(r)]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** The indexed content hash of each of these files (`kg_files`). */
export async function indexedFileHashes(db: Db, paths: readonly string[]): Promise<Map<string, string>> {
  if (paths.length === 0) return new Map();
  const { rows } = await db.query<{ path: string; content_hash: string }>(
    'select path, content_hash from kg_files where path = any($1::text[])',
    [paths],
  );
  return new Map(rows.map((r) => [r.path, r.content_hash]));
}

/** The first hits of a graph query or walk, in its order; how many there are; the hops followed. */
export interface GraphHits {
  readonly hits: readonly GraphHit[];
  /** Every object the query reaches (`count(*)` over the whole walk), not only the hits returned. */
  readonly total: number;
  readonly depth: number;
}

export interface GraphHitsOptions {
  /** Hops to follow; the query's default (as `queryGraph`) when absent. */
  readonly depth?: number;
  /** Return at most this many hits (the first in the query's order); all when absent. */
  readonly limit?: number;
}

/**
 * `queryGraph` from definitions already found: the same walk, the same order and default depth, so
 * its first `limit` hits are the first ones `queryGraph` lists and `total` is how many it lists.
 *
 * @example
 * const { hits, total } = await queryGraphFrom(db, 'callers', [target], { limit: 60 });
 */
export async function queryGraphFrom(
  db: Db,
  query: GraphQuery,
  targets: readonly CboObject[],
  options: GraphHitsOptions = {},
): Promise<GraphHits> {
  const depth = clampDepth(options.depth ?? defaultDepth(query));
  const { hits, total } = await hitsOf(db, query, targets, depth, options.limit ?? null);
  return { hits, total, depth };
}

/**
 * Objects that relations of these kinds reach from the start objects, up to `depth` hops (default
 * 1), each once at its smallest depth, as the graph queries walk: the first `limit` and the total.
 */
export async function walkRelations(
  db: Db,
  startIds: readonly string[],
  kinds: readonly RelationKind[],
  direction: 'in' | 'out',
  options: GraphHitsOptions = {},
): Promise<GraphHits> {
  const depth = clampDepth(options.depth ?? 1);
  const { hits, total } = await walk(db, startIds, kinds, direction, depth, options.limit ?? null);
  return { hits, total, depth };
}

/** How many relations of one kind a start object has, by the kind of object at the other end. */
export interface RelationCount {
  readonly startId: string;
  readonly kind: RelationKind;
  readonly objectKind: string;
  readonly total: number;
  /** Of them, relations to exported objects. */
  readonly exported: number;
}

/**
 * Counts the relations `relationsOf` would return without its limit: into (`in`) or out of each
 * start object, by relation kind and the other end's object kind.
 */
export async function countRelations(
  db: Db,
  startIds: readonly string[],
  kinds: readonly RelationKind[],
  direction: 'in' | 'out',
): Promise<RelationCount[]> {
  if (startIds.length === 0 || kinds.length === 0) return [];
  const [start, other] = direction === 'in' ? ['dst_id', 'src_id'] : ['src_id', 'dst_id'];
  const { rows } = await db.query<{
    start_id: string;
    kind: RelationKind;
    object_kind: string;
    total: number;
    exported: number;
  }>(
    `select r.${start} as start_id, r.kind, o.kind as object_kind, count(*)::int as total,
            (count(*) filter (where o.metadata->>'exported' = 'true'))::int as exported
       from cbo_relations r join cbo_objects o on o.id = r.${other}
      where r.${start} = any($1::text[]) and r.kind = any($2::text[])
      group by r.${start}, r.kind, o.kind
      order by r.${start}, r.kind, o.kind`,
    [startIds, kinds],
  );
  return rows.map((r) => ({
    startId: r.start_id,
    kind: r.kind,
    objectKind: r.object_kind,
    total: r.total,
    exported: r.exported,
  }));
}
