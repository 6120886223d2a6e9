alter table cbo_embeddings drop column if exists content_hash;
drop table if exists search_chunks;
