// Regenerates supabase/schema.snapshot.txt from the migrations (embedded PGlite): npm run db:schema
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  createPgliteDb,
  DEFAULT_MIGRATIONS_DIR,
  dumpSchema,
  loadMigrations,
  migrate,
} from '../src/db/index.ts';

const db = await createPgliteDb();
const report = await migrate(db, loadMigrations(DEFAULT_MIGRATIONS_DIR));
if (!report.ok) throw new Error(`migrations failed: ${JSON.stringify(report.results)}`);
const target = fileURLToPath(new URL('../supabase/schema.snapshot.txt', import.meta.url));
writeFileSync(target, await dumpSchema(db));
await db.close();
process.stdout.write(`wrote ${target}\n`);
