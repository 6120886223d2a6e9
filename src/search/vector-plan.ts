import type { Db } from '../db/index.ts';

// Plans remembered per database: (model, dimension, generation, filter) -> whether HNSW is used.
const MAX_PLANS = 256;
const plans = new WeakMap<Db, Map<string, boolean>>();

/** Whether the model's HNSW index exists, and the model's embedding generation (migration 00006). */
export async function readVectorIndexState(
  db: Db,
  indexName: string,
  model: string,
): Promise<{ readonly hasIndex: boolean; readonly generation: number }> {
  const { rows } = await db.query<{ has_index: boolean; generation: string | null }>(
    `select exists (select 1 from pg_indexes where indexname = $1) as has_index,
            (select generation from cbo_embedding_generations where model = $2) as generation`,
    [indexName, model],
  );
  return { hasIndex: rows[0]?.has_index === true, generation: Number(rows[0]?.generation ?? 0) };
}

/**
 * Whether the planner reads the HNSW index `indexName` for this statement: asked with EXPLAIN once
 * per database, `key` (model, dimension, generation, filter) and remembered, since on a small table
 * or with a selective filter the planner scans exactly instead. `tx` carries the session settings
 * the statement runs with. A plan can still change without a write (a new ANALYZE): the label is the
 * plan of the first search since the model's last write.
 */
export async function usesVectorIndex(
  db: Db,
  tx: Db,
  key: string,
  indexName: string,
  sql: string,
  params: readonly unknown[],
): Promise<boolean> {
  let known = plans.get(db);
  if (!known) {
    known = new Map();
    plans.set(db, known);
  }
  const cached = known.get(key);
  if (cached !== undefined) return cached;
  const { rows } = await tx.query(`explain (format json) ${sql}`, params);
  const used = JSON.stringify(rows).includes(indexName);
  if (known.size >= MAX_PLANS) known.clear();
  known.set(key, used);
  return used;
}
