drop table if exists cbo_embeddings;
