/**
 * Re-index after one-file edits, in its own process:
 *
 *   node bench/kg/cogo-incremental.ts <root> <result.json> <edits.json> [--database-url <url>] [--data-dir <dir>]
 *
 * Opens a database (PGlite in <dir>, or the Postgres server at <url>), migrates it, indexes <root>
 * once in full, re-indexes with nothing changed, then for each edit of <edits.json>
 * (`[{ name, path, offset, insert }]`): writes the edited file, re-indexes (incremental, timed),
 * restores the file and re-indexes again (timed too). The source tree is left as it was found.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createPgliteDb,
  createPostgresDb,
  type Db,
  DEFAULT_MIGRATIONS_DIR,
  loadMigrations,
  migrate,
} from '../../src/db/index.ts';
import { type IndexReport, indexRepository } from '../../src/kg/index.ts';

interface Edit {
  readonly name: string;
  readonly path: string;
  readonly offset: number;
  readonly insert: string;
}

const [root, resultFile, editsFile, ...rest] = process.argv.slice(2);
if (!root || !resultFile || !editsFile)
  throw new Error(
    'usage: cogo-incremental.ts <root> <result.json> <edits.json> [--database-url u] [--data-dir d]',
  );
const flag = (name: string): string | undefined => {
  const i = rest.indexOf(name);
  return i >= 0 ? rest[i + 1] : undefined;
};
const databaseUrl = flag('--database-url');
const dataDir = flag('--data-dir');
const edits = JSON.parse(readFileSync(editsFile, 'utf8')) as Edit[];

const summary = (label: string, ms: number, r: IndexReport) => ({
  label,
  wallMs: Math.round(ms),
  mode: r.mode,
  durationMs: r.durationMs,
  timingsMs: r.timingsMs,
  extracted: r.files.extracted,
  unchanged: r.files.unchanged,
});

let db: Db;
if (databaseUrl) db = await createPostgresDb({ connectionString: databaseUrl });
else {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  db = await createPgliteDb(dataDir ? { dataDir } : {});
}
const runs: ReturnType<typeof summary>[] = [];
const originals = new Map<string, string>();
try {
  const migrated = await migrate(db, loadMigrations(DEFAULT_MIGRATIONS_DIR));
  if (!migrated.ok) throw new Error(`migration failed: ${JSON.stringify(migrated.results)}`);
  const index = async (label: string, full = false) => {
    const t = performance.now();
    const report = await indexRepository(db, { root, maxFileBytes: 1_000_000, full });
    runs.push(summary(label, performance.now() - t, report));
  };
  await index('full', true);
  await index('no change');
  for (const edit of edits) {
    const abs = join(root, edit.path);
    const original = readFileSync(abs, 'utf8');
    originals.set(abs, original);
    writeFileSync(abs, original.slice(0, edit.offset) + edit.insert + original.slice(edit.offset));
    await index(`edit: ${edit.name}`);
    writeFileSync(abs, original);
    originals.delete(abs);
    await index(`revert: ${edit.name}`);
  }
} finally {
  for (const [abs, text] of originals) writeFileSync(abs, text);
  await db.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
writeFileSync(resultFile, JSON.stringify({ backend: databaseUrl ? 'postgres' : 'pglite', runs }, null, 2));
