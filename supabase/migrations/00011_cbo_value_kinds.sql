-- CBO kinds for what code binds to values: `variable` (consts, lets, vars, enum members,
-- `export default <expression>` that are not callable) and `namespace` (`namespace X`,
-- `export * as X from`). docs/schemas/CBO_SCHEMA.md. Rollback: down/00011_cbo_value_kinds.sql.
alter table cbo_objects drop constraint cbo_objects_kind_check;
alter table cbo_objects add constraint cbo_objects_kind_check
  check (kind in ('module', 'namespace', 'class', 'interface', 'type', 'function', 'method', 'variable')
         or kind like 'schema.%');
