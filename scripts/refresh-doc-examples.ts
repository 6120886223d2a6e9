// Rewrites the CBO examples in docs/schemas/CBO_SCHEMA.md from a real index of the doc's own
// example sources (`<!-- example-source: path -->` blocks): npm run docs:examples.
// test/docs.test.ts fails when an example and the exported record differ.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPgliteDb, DEFAULT_MIGRATIONS_DIR, loadMigrations, migrate } from '../src/db/index.ts';
import { exportGraph, indexRepository } from '../src/kg/index.ts';

const DOC = fileURLToPath(new URL('../docs/schemas/CBO_SCHEMA.md', import.meta.url));
const lines = readFileSync(DOC, 'utf8').split('\n');

function blockAfter(i: number): { open: number; close: number } {
  let open = i + 1;
  while (lines[open]?.trim() === '') open++;
  const close = lines.indexOf('```', open + 1);
  return { open, close };
}

const repo = mkdtempSync(join(tmpdir(), 'cogo-doc-examples-'));
lines.forEach((line, i) => {
  const source = /^<!-- example-source: (\S+) -->$/.exec(line);
  if (!source) return;
  const { open, close } = blockAfter(i);
  mkdirSync(dirname(join(repo, source[1]!)), { recursive: true });
  writeFileSync(join(repo, source[1]!), `${lines.slice(open + 1, close).join('\n')}\n`);
});

const db = await createPgliteDb();
await migrate(db, loadMigrations(DEFAULT_MIGRATIONS_DIR));
await indexRepository(db, { root: repo, maxFileBytes: 1_000_000 });
const out = await exportGraph(db, mkdtempSync(join(tmpdir(), 'cogo-doc-export-')));
await db.close();
const records = new Map<string, unknown>();
for (const file of [out.objectsFile, out.relationsFile]) {
  for (const l of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const record = JSON.parse(l) as { id: string };
    records.set(record.id, record);
  }
}

let replaced = 0;
for (let i = lines.length - 1; i >= 0; i--) {
  if (!/^<!-- example: cbo-(object|relation) -->$/.test(lines[i]!)) continue;
  const { open, close } = blockAfter(i);
  const old = JSON.parse(lines.slice(open + 1, close).join('\n')) as { id: string };
  const fresh = records.get(old.id);
  if (!fresh)
    throw new Error(`example at line ${open + 2}: id ${old.id} is not in the index of the example sources`);
  lines.splice(open + 1, close - open - 1, ...JSON.stringify(fresh, null, 2).split('\n'));
  replaced++;
}
writeFileSync(DOC, lines.join('\n'));
process.stdout.write(`refreshed ${replaced} examples in ${DOC}\n`);
