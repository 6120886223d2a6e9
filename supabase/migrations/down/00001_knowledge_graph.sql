drop table if exists kg_index_runs;
drop table if exists kg_meta;
drop table if exists kg_files;
drop table if exists cbo_relations;
drop table if exists cbo_objects;
