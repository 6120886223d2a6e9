import type { Db } from './db.ts';

/** How vectors are stored in this database: `vector` (pgvector) or `real[]` (exact scoring fallback). */
export async function vectorStorage(db: Db): Promise<'vector' | 'real[]' | 'none'> {
  const { rows } = await db.query<{ type: string }>(
    `select format_type(a.atttypid, a.atttypmod) as type
       from pg_attribute a join pg_class c on c.oid = a.attrelid
      where c.relname = 'cbo_embeddings' and a.attname = 'embedding' and c.relkind = 'r'
        and pg_table_is_visible(c.oid)`,
  );
  const type = rows[0]?.type;
  if (type === undefined) return 'none';
  return type === 'vector' ? 'vector' : 'real[]';
}
