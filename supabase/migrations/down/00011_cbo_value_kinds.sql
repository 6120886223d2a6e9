-- The kinds before 00011: objects of the new kinds, and the edges to and from them, are removed
-- (the next full index of the older extractor rebuilds the graph without them).
delete from cbo_relations r using cbo_objects o
 where o.kind in ('namespace', 'variable') and (r.src_id = o.id or r.dst_id = o.id);
delete from cbo_objects where kind in ('namespace', 'variable');
alter table cbo_objects drop constraint cbo_objects_kind_check;
alter table cbo_objects add constraint cbo_objects_kind_check
  check (kind in ('module', 'class', 'interface', 'type', 'function', 'method') or kind like 'schema.%');
