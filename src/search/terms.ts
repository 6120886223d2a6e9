import type { Db } from '../db/index.ts';

/**
 * How many chunks contain each word (its plain form or its English stem, whichever is more common),
 * and the number of chunks, from the BM25 statistics (migration 00004). A word no chunk has is 0.
 */
export async function documentFrequencies(
  db: Db,
  words: readonly string[],
): Promise<{ readonly chunks: number; readonly df: ReadonlyMap<string, number> }> {
  const { rows } = await db.query<{ word: string; df: number | null; chunks: string | null }>(
    `select w.word,
            (select max(t.df) from search_terms t
              where t.term = lower(w.word)
                 or t.term = any(tsvector_to_array(to_tsvector('english', w.word)))) as df,
            (select chunks from search_stats) as chunks
       from unnest($1::text[]) as w(word)`,
    [words],
  );
  return {
    chunks: Number(rows[0]?.chunks ?? 0),
    df: new Map(rows.map((r) => [r.word, Number(r.df ?? 0)])),
  };
}
