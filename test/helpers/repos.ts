import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Db } from '../../src/db/index.ts';
import { type CboObject, type CboRelation, exportGraph } from '../../src/kg/index.ts';

export const FIXTURES_DIR = new URL('../fixtures/', import.meta.url).pathname;

/** A private copy of a fixture repository in a temp dir, so tests can edit it and write `.cogo/`. */
export function copyFixture(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `cogo-${name}-`));
  cpSync(join(FIXTURES_DIR, name), dir, { recursive: true });
  return dir;
}

/** A strict tsconfig for `src/`, without ambient @types (tests stay independent of what is installed). */
export const SRC_TSCONFIG = JSON.stringify({
  compilerOptions: { strict: true, types: [] },
  include: ['src'],
});

/** A new repository in a temp dir with these files (paths relative to its root). */
export function createRepo(files: Readonly<Record<string, string>>): string {
  const root = mkdtempSync(join(tmpdir(), 'cogo-repo-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

export interface GraphSnapshot {
  readonly objects: CboObject[];
  readonly relations: CboRelation[];
}

/** The whole stored graph, through the JSONL export (so the contract is exercised too). */
export async function snapshotGraph(db: Db): Promise<GraphSnapshot> {
  const dir = mkdtempSync(join(tmpdir(), 'cogo-export-'));
  const result = await exportGraph(db, dir);
  const read = <T>(file: string): T[] =>
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as T);
  return { objects: read<CboObject>(result.objectsFile), relations: read<CboRelation>(result.relationsFile) };
}

export function byQualifiedName(snapshot: GraphSnapshot, qualifiedName: string, kind?: string): CboObject {
  const found = snapshot.objects.filter(
    (o) => o.qualified_name === qualifiedName && (kind === undefined || o.kind === kind),
  );
  if (found.length !== 1)
    throw new Error(`expected one object ${qualifiedName}${kind ? ` (${kind})` : ''}, found ${found.length}`);
  return found[0]!;
}

/** Relations as readable `src -kind-> dst` strings, by qualified names. */
export function edgeStrings(snapshot: GraphSnapshot, kind: string): string[] {
  const names = new Map(snapshot.objects.map((o) => [o.id, o.qualified_name]));
  return snapshot.relations
    .filter((r) => r.kind === kind)
    .map((r) => `${names.get(r.src_id) ?? r.src_id} -> ${names.get(r.dst_id) ?? r.dst_id}`)
    .sort();
}
