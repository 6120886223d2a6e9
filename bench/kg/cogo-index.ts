/**
 * One cogo index run, as its own process so the benchmark can time it and read its peak RSS:
 * opens a fresh PGlite database, migrates it, runs `indexRepository` (full) and exits.
 *
 *   node bench/kg/cogo-index.ts <root> <result.json> [--data-dir <dir>] [--export <dir>]
 *
 * Writes a JSON summary (phase timings, report counts, coverage) to <result.json>. With --export,
 * the graph is also written as JSONL (after the timed part) for the comparison with SCIP.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { createPgliteDb, DEFAULT_MIGRATIONS_DIR, loadMigrations, migrate } from '../../src/db/index.ts';
import { computeCoverage, exportGraph, indexRepository } from '../../src/kg/index.ts';

const t0 = performance.now();
const [root, resultFile, ...rest] = process.argv.slice(2);
if (!root || !resultFile)
  throw new Error('usage: cogo-index.ts <root> <result.json> [--data-dir d] [--export d]');
const flag = (name: string): string | undefined => {
  const i = rest.indexOf(name);
  return i >= 0 ? rest[i + 1] : undefined;
};
const dataDir = flag('--data-dir');
const exportDir = flag('--export');
if (dataDir) rmSync(dataDir, { recursive: true, force: true });

const db = await createPgliteDb(dataDir ? { dataDir } : {});
const tOpen = performance.now();
const migrated = await migrate(db, loadMigrations(DEFAULT_MIGRATIONS_DIR));
if (!migrated.ok) throw new Error(`migration failed: ${JSON.stringify(migrated.results)}`);
const tMigrate = performance.now();
const report = await indexRepository(db, { root, maxFileBytes: 1_000_000, full: true });
const tIndex = performance.now();
const coverage = await computeCoverage(db);
if (exportDir) await exportGraph(db, exportDir);
await db.close();
if (dataDir) rmSync(dataDir, { recursive: true, force: true });

writeFileSync(
  resultFile,
  JSON.stringify(
    {
      openMs: tOpen - t0,
      migrateMs: tMigrate - tOpen,
      indexMs: tIndex - tMigrate,
      // Up to the end of indexRepository; coverage, export and close come after.
      untilIndexedMs: tIndex - t0,
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
