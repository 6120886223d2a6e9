// npm run quality:code-search: indexes this repository (embedded database, or DATABASE_URL), runs the
// tagged queries in scenarios/code-search.json, and writes what they return, with hit@1 and hit@5, to
// reports/quality/code-search.json. Exits non-zero when a query fails or returns nothing.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { loadConfig } from '../src/core/index.ts';
import { DEFAULT_MIGRATIONS_DIR, loadMigrations, migrate, openDb } from '../src/db/index.ts';
import { indexRepository } from '../src/kg/index.ts';
import { createEmbedder, indexSearch, searchCode } from '../src/search/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const scenarioSchema = z.object({
  queries: z.array(
    z.object({
      query: z.string().min(1),
      expect: z.string().min(1),
      tags: z.array(z.string()),
      filters: z
        .object({
          languages: z.array(z.string()).optional(),
          kinds: z.array(z.string()).optional(),
          path: z.string().optional(),
          tags: z.array(z.string()).optional(),
        })
        .optional(),
    }),
  ),
});

const config = loadConfig(process.env);
const scenarios = scenarioSchema.parse(
  JSON.parse(readFileSync(join(ROOT, 'scenarios/code-search.json'), 'utf8')),
);
const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, repoRoot: ROOT });
const migrated = await migrate(db, loadMigrations(DEFAULT_MIGRATIONS_DIR));
if (!migrated.ok) throw new Error(`migration failed: ${JSON.stringify(migrated.results)}`);
const embedder = createEmbedder(config.embedding);
await indexRepository(db, { root: ROOT, maxFileBytes: config.maxFileBytes });
await indexSearch(db, { root: ROOT, embedder, maxFileBytes: config.maxFileBytes });

const results = [];
let failed = 0;
for (const s of scenarios.queries) {
  try {
    const r = await searchCode(db, s.query, { embedder, limit: 5, ...s.filters });
    const rank = r.hits.findIndex((h) => h.symbol === s.expect) + 1;
    if (r.hits.length === 0) failed++;
    results.push({
      ...s,
      rank: rank > 0 ? rank : null,
      tookMs: r.tookMs,
      vectorPath: r.vectorPath,
      hits: r.hits.map((h) => ({
        symbol: h.symbol,
        kind: h.kind,
        path: h.path,
        lines: [h.startLine, h.endLine],
        tags: h.tags,
        score: h.score,
      })),
    });
  } catch (error) {
    failed++;
    results.push({ ...s, error: (error as Error).message });
  }
}
await db.close();

const ranks = results.map((r) => ('rank' in r ? r.rank : null));
const summary = {
  queries: results.length,
  hitAt1: ranks.filter((r) => r === 1).length,
  hitAt5: ranks.filter((r) => r !== null).length,
  failed,
};
const out = join(ROOT, 'reports/quality/code-search.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ generatedAt: new Date().toISOString(), model: embedder.model, summary, results }, null, 2)}\n`,
);
for (const r of results) {
  const rank = 'rank' in r ? (r.rank === null ? 'miss' : `#${r.rank}`) : `ERROR ${r.error}`;
  const first = 'hits' in r ? (r.hits[0]?.symbol ?? '(no hits)') : '';
  process.stdout.write(`${rank.padEnd(6)} [${r.tags.join(',')}] ${JSON.stringify(r.query)} -> ${first}\n`);
}
process.stdout.write(
  `hit@1 ${summary.hitAt1}/${summary.queries}, hit@5 ${summary.hitAt5}/${summary.queries}, failed ${failed}; wrote ${out}\n`,
);
process.exitCode = failed > 0 ? 1 : 0;
