-- Vectors beside the graph. pgvector where the server has it (PGlite always does); otherwise
-- real[] with exact scoring in SQL, so the same migrations apply on any Postgres >= 15.
do $$
begin
  if exists (select 1 from pg_available_extensions where name = 'vector') then
    create extension if not exists vector;
    create table cbo_embeddings (
      owner_id text not null,
      model text not null,
      dim integer not null check (dim > 0),
      embedding vector not null,
      updated_at timestamptz not null default now(),
      primary key (owner_id, model)
    );
  else
    create table cbo_embeddings (
      owner_id text not null,
      model text not null,
      dim integer not null check (dim > 0),
      embedding real[] not null check (cardinality(embedding) = dim),
      updated_at timestamptz not null default now(),
      primary key (owner_id, model)
    );
  end if;
end
$$;
