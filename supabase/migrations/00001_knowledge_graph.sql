-- Knowledge graph of Code Base Objects (CBO v3): objects, relations, indexed files, index runs.
-- Field meanings: docs/schemas/CBO_SCHEMA.md. Rollback: down/00001_knowledge_graph.sql.
create extension if not exists pg_trgm;

create table cbo_objects (
  id text primary key,
  kind text not null check (kind in ('module', 'class', 'interface', 'type', 'function', 'method') or kind like 'schema.%'),
  name text not null,
  qualified_name text not null,
  -- Repo-relative, '/'-separated; null only for external modules (packages outside the repo).
  file_path text,
  language text not null,
  signature text not null default '',
  start_line integer,
  end_line integer,
  params_json jsonb not null default '[]',
  returns_json jsonb,
  fields_json jsonb not null default '[]',
  doc text,
  metadata jsonb not null default '{}',
  -- SHA-256 of the file the object was read from, so citations can be checked against it.
  content_hash text,
  indexed_at timestamptz not null default now(),
  check ((start_line is null and end_line is null) or (start_line >= 1 and end_line >= start_line))
);
create index cbo_objects_name_idx on cbo_objects (name);
create index cbo_objects_qualified_name_idx on cbo_objects (qualified_name);
create index cbo_objects_file_path_idx on cbo_objects (file_path);
create index cbo_objects_kind_idx on cbo_objects (kind);
create index cbo_objects_name_trgm_idx on cbo_objects using gin (name gin_trgm_ops);

-- No foreign keys to cbo_objects on purpose: an incremental run replaces one file's objects while
-- edges from other files still point at their stable ids. The indexer keeps the graph closed.
create table cbo_relations (
  id text primary key,
  kind text not null check (kind in ('contains', 'imports', 'extends', 'implements', 'calls', 'uses_type', 'returns_type', 'uses_schema')),
  src_id text not null,
  dst_id text not null,
  resolver text not null,
  confidence real not null check (confidence >= 0 and confidence <= 1),
  -- The file the edge was read from (always the source object's file) and the first line of evidence.
  evidence_file text not null,
  evidence_line integer not null,
  metadata jsonb not null default '{}'
);
create index cbo_relations_src_idx on cbo_relations (src_id, kind);
create index cbo_relations_dst_idx on cbo_relations (dst_id, kind);
create index cbo_relations_evidence_file_idx on cbo_relations (evidence_file);

create table kg_files (
  path text primary key,
  language text not null,
  -- The tsconfig that owns the file, repo-relative, or '(inferred)'.
  project text,
  content_hash text not null,
  size_bytes bigint not null,
  line_count integer,
  status text not null check (status in ('indexed', 'skipped')),
  reason text,
  -- True for scripts and files with `declare global`/module augmentations: they change what every
  -- file sees, so an edit to one rebuilds the whole graph.
  affects_globals boolean not null default false,
  unresolved_imports integer not null default 0,
  -- In-scope paths this file imports or references, followed through out-of-scope repo files:
  -- when one of them changes, this file is extracted again.
  depends_on jsonb not null default '[]',
  -- Call-site resolution counts for this file: resolved, unresolved, ambiguous, external, local, out_of_scope.
  calls jsonb not null default '{}',
  indexed_at timestamptz not null default now()
);

create table kg_meta (
  key text primary key,
  value jsonb not null,
  updated_at timestamptz not null default now()
);

create table kg_index_runs (
  id bigint generated always as identity primary key,
  started_at timestamptz not null,
  finished_at timestamptz,
  mode text not null check (mode in ('full', 'incremental')),
  report jsonb not null default '{}'
);
