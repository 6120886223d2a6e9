-- Hybrid code search: chunks with keyword vectors beside the graph (docs/specs/SEARCH_V1.md).
-- Embeddings stay in cbo_embeddings, keyed by chunk id and model, with the content hash they were
-- computed from, so a re-index embeds only what changed.
create table search_chunks (
  id text primary key,
  -- The CBO object a code chunk belongs to; null for documentation chunks.
  object_id text,
  path text not null,
  language text not null,
  kind text not null,
  -- Qualified name (code) or heading path (docs); name is the bare symbol or heading.
  symbol text,
  name text,
  signature text,
  start_line integer not null check (start_line >= 1),
  end_line integer not null check (end_line >= start_line),
  part integer not null default 0,
  content text not null,
  content_hash text not null,
  -- Hash of the whole file the chunk was cut from: a file whose hash is unchanged is not re-chunked.
  file_hash text not null,
  tags text[] not null default '{}',
  keywords tsvector not null,
  updated_at timestamptz not null default now()
);
create index search_chunks_keywords_idx on search_chunks using gin (keywords);
create index search_chunks_name_trgm_idx on search_chunks using gin (lower(name) gin_trgm_ops);
create index search_chunks_name_idx on search_chunks (lower(name));
create index search_chunks_path_idx on search_chunks (path);
create index search_chunks_tags_idx on search_chunks using gin (tags);
create index search_chunks_object_idx on search_chunks (object_id);

alter table cbo_embeddings add column content_hash text;
