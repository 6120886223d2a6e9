/**
 * One cogo index run, as its own process so the benchmark can time it and read its peak RSS:
 * opens a fresh PGlite database (or connects to a Postgres server database), migrates it, runs
 * `indexRepository` (full) and exits.
 *
 *   node bench/kg/cogo-index.ts <root> <result.json> [--data-dir <dir>] [--database-url <url>]
 *                                [--export <dir>] [--open-only]
 *
 * With --database-url, the graph goes to that (empty, freshly created) Postgres database instead of
 * PGlite; --data-dir is then ignored. The caller creates and drops the database.
 *
 * Writes a JSON summary (phase timings, report counts, the database's size after the index) to
 * <result.json>. With --export, coverage is computed and the graph written as JSONL (after indexing) for
 * the comparison with SCIP. With --open-only, it stops after the migration (the database's own share of
 * time and peak RSS).
 */
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { join } from 'node:path';

// As bin/cogo.js does for the CLI: V8's code cache lets every start after the first skip compiling
// typescript.js and the rest, so the timed runs measure cogo as a user's second command would.
enableCompileCache?.();
const { createPgliteDb, createPostgresDb, DEFAULT_MIGRATIONS_DIR, loadMigrations, migrate } = await import(
  '../../src/db/index.ts'
);
const { computeCoverage, exportGraph, indexRepository } = await import('../../src/kg/index.ts');

/** Bytes of the regular files under `dir` (what the data directory takes on disk, by file size). */
function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const abs = join(dir, entry.name);
    if (entry.isDirectory()) total += directoryBytes(abs);
    else if (entry.isFile()) total += statSync(abs).size;
  }
  return total;
}

const t0 = performance.now();
const [root, resultFile, ...rest] = process.argv.slice(2);
if (!root || !resultFile)
  throw new Error(
    'usage: cogo-index.ts <root> <result.json> [--data-dir d] [--database-url u] [--export d] [--open-only]',
  );
const flag = (name: string): string | undefined => {
  const i = rest.indexOf(name);
  return i >= 0 ? rest[i + 1] : undefined;
};
const databaseUrl = flag('--database-url');
const dataDir = databaseUrl ? undefined : flag('--data-dir');
const exportDir = flag('--export');
if (dataDir) rmSync(dataDir, { recursive: true, force: true });

const db = databaseUrl
  ? await createPostgresDb({ connectionString: databaseUrl })
  : await createPgliteDb(dataDir ? { dataDir } : {});
const tOpen = performance.now();
const migrated = await migrate(db, loadMigrations(DEFAULT_MIGRATIONS_DIR));
if (!migrated.ok) throw new Error(`migration failed: ${JSON.stringify(migrated.results)}`);
const tMigrate = performance.now();
if (rest.includes('--open-only')) {
  // Baseline: what the database alone costs in time and memory.
  await db.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  writeFileSync(
    resultFile,
    JSON.stringify({
      backend: databaseUrl ? 'postgres' : 'pglite',
      openMs: tOpen - t0,
      migrateMs: tMigrate - tOpen,
    }),
  );
  process.exit(0);
}
const report = await indexRepository(db, { root, maxFileBytes: 1_000_000, full: true });
const tIndex = performance.now();
// The database's size after the full index (after the timed part): pg_database_size on either backend,
// and for PGlite the data directory's size on disk once it is closed (WAL and catalogs included).
const sized = await db.query<{ bytes: string }>('select pg_database_size(current_database())::text as bytes');
const pgDatabaseSizeBytes = Number(sized.rows[0]?.bytes);
// Only for the comparison run: the timed runs end here.
const coverage = exportDir ? await computeCoverage(db) : null;
if (exportDir) await exportGraph(db, exportDir);
await db.close();
const dataDirBytes = dataDir ? directoryBytes(dataDir) : null;
const tSized = performance.now();
if (dataDir) rmSync(dataDir, { recursive: true, force: true });

writeFileSync(
  resultFile,
  JSON.stringify(
    {
      backend: databaseUrl ? 'postgres' : 'pglite',
      openMs: tOpen - t0,
      migrateMs: tMigrate - tOpen,
      indexMs: tIndex - tMigrate,
      // Up to the end of indexRepository; the size queries, coverage, export and close come after.
      untilIndexedMs: tIndex - t0,
      dbSize: { pgDatabaseSizeBytes, dataDirBytes, afterIndexMs: tSized - tIndex },
      report: {
        mode: report.mode,
        durationMs: report.durationMs,
        timingsMs: report.timingsMs,
        files: {
          inScope: report.files.inScope,
          extracted: report.files.extracted,
          skipped: report.files.skipped,
        },
        projects: report.projects,
        configErrors: report.configErrors,
        objects: report.objects,
        relations: report.relations,
        calls: report.calls,
        unresolvedImports: report.unresolvedImports.length,
      },
      coverage,
    },
    null,
    2,
  ),
);
