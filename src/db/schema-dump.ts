import type { Db } from './db.ts';

/**
 * A stable text dump of the public schema (tables, columns, constraints, indexes, triggers, functions), for a committed
 * snapshot that tests compare against, so a migration that changes the schema unnoticed fails CI.
 */
export async function dumpSchema(db: Db): Promise<string> {
  const columns = await db.query<{
    table_name: string;
    column_name: string;
    type: string;
    not_null: boolean;
    default: string | null;
    generated: string;
  }>(
    `select c.relname as table_name, a.attname as column_name, format_type(a.atttypid, a.atttypmod) as type,
            a.attnotnull as not_null, pg_get_expr(d.adbin, d.adrelid) as default, a.attgenerated as generated
       from pg_attribute a
       join pg_class c on c.oid = a.attrelid
       join pg_namespace n on n.oid = c.relnamespace
       left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where n.nspname = 'public' and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped
      order by c.relname, a.attnum`,
  );
  const constraints = await db.query<{ table_name: string; name: string; def: string }>(
    `select c.relname as table_name, k.conname as name, pg_get_constraintdef(k.oid) as def
       from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and k.contype <> 'n'
      order by c.relname, k.conname`,
  );
  const indexes = await db.query<{ tablename: string; indexdef: string }>(
    `select tablename, indexdef from pg_indexes where schemaname = 'public' order by tablename, indexname`,
  );
  const triggers = await db.query<{ table_name: string; def: string }>(
    `select c.relname as table_name, pg_get_triggerdef(t.oid) as def
       from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and not t.tgisinternal
      order by c.relname, t.tgname`,
  );
  const functions = await db.query<{ def: string }>(
    `select p.proname || '(' || pg_get_function_arguments(p.oid) || ') returns ' || pg_get_function_result(p.oid)
            || ' ' || p.provolatile::text as def
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       left join pg_depend d on d.objid = p.oid and d.deptype = 'e'
      where n.nspname = 'public' and d.objid is null
      order by def`,
  );
  const tables = [...new Set(columns.rows.map((c) => c.table_name))];
  const out: string[] = [];
  for (const table of tables) {
    out.push(`table ${table}`);
    for (const c of columns.rows.filter((x) => x.table_name === table)) {
      out.push(
        `  column ${c.column_name} ${c.type}${c.not_null ? ' not null' : ''}${
          c.default
            ? c.generated === 's'
              ? ` generated always as (${c.default}) stored`
              : ` default ${c.default}`
            : ''
        }`,
      );
    }
    for (const k of constraints.rows.filter((x) => x.table_name === table))
      out.push(`  constraint ${k.name} ${k.def}`);
    for (const i of indexes.rows.filter((x) => x.tablename === table)) out.push(`  ${i.indexdef}`);
    for (const t of triggers.rows.filter((x) => x.table_name === table)) out.push(`  ${t.def}`);
    out.push('');
  }
  // Functions outside extensions (trigger bodies are the migrations' business; names and types are the contract).
  for (const f of functions.rows) out.push(`function ${f.def}`);
  return out.join('\n');
}
