/**
 * Synthetic chunks for the latency runs: the real package's files, each replica under its own path
 * (`packages/<variant>/src/...`) with every identifier the package declares renamed by a variant word
 * (`mergeMap` -> `mergeMapLedger`, `Subscriber` -> `SubscriberLedger`), then cut by cogo's own chunker
 * (`chunkCode`) so the chunks, their keyword texts and their ids are what cogo would make of such a
 * file. Embeddings are computed once per chunk here and written to every database.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '../../src/db/index.ts';
import { type CboObject, OBJECT_SELECT, type ObjectRow, rowToObject } from '../../src/kg/index.ts';
import { type Chunk, chunkCode } from '../../src/search/chunker.ts';

const WORDS = (
  'Ledger Harbor Quartz Meadow Signal Vertex Copper Falcon Prism Summit Cascade Ember Lattice Orbit ' +
  'Tundra Beacon Cipher Delta Flux Granite Horizon Iris Juniper Kestrel Lumen Mosaic Nimbus Onyx Pylon ' +
  'Quiver Raven Sable Tempo Umber Vortex Willow Zephyr Anchor Bramble Cobalt'
).split(' ');
const SECOND = 'Batch Cache Remote Local Retry Stream Shard Buffer Proxy Mirror'.split(' ');

export interface SourceFile {
  readonly path: string;
  readonly text: string;
  readonly objects: readonly CboObject[];
}

/** The indexed package's files with their graph objects, read back from a database `indexRepository` filled. */
export async function loadSources(db: Db, root: string): Promise<SourceFile[]> {
  const { rows } = await db.query<ObjectRow>(
    `select ${OBJECT_SELECT} from cbo_objects order by file_path, id`,
  );
  const byFile = new Map<string, CboObject[]>();
  for (const o of rows.map(rowToObject)) {
    if (!o.file_path) continue;
    const list = byFile.get(o.file_path) ?? [];
    list.push(o);
    byFile.set(o.file_path, list);
  }
  return [...byFile].map(([path, objects]) => ({
    path,
    text: readFileSync(join(root, path), 'utf8'),
    objects,
  }));
}

/** Replica r >= 1's suffix: one of 40 words, then a second word from r = 41 on (400 variants). */
export function variantWord(r: number): string {
  const i = r - 1;
  return `${WORDS[i % WORDS.length]}${i >= WORDS.length ? SECOND[Math.floor(i / WORDS.length) % SECOND.length] : ''}`;
}

const IDENTIFIER = /[A-Za-z_$][\w$]*/g;

/** The package's declared names (3+ characters), the ones replicas rename. */
export function declaredNames(sources: readonly SourceFile[]): Set<string> {
  const names = new Set<string>();
  for (const s of sources)
    for (const o of s.objects)
      if (o.kind !== 'module' && o.name !== 'constructor' && /^[A-Za-z_$][\w$]{2,}$/.test(o.name))
        names.add(o.name);
  return names;
}

/** Chunks of one replica of one file. */
export function replicaChunks(file: SourceFile, r: number, names: ReadonlySet<string>): Chunk[] {
  const word = variantWord(r);
  const rename = (s: string) => s.replace(IDENTIFIER, (m) => (names.has(m) ? `${m}${word}` : m));
  const path = `packages/${word.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}/${file.path}`;
  const objects = file.objects.map((o) => ({
    ...o,
    // The same object ids: the graph signal (in-degree) of a replica is its original's.
    name: o.kind === 'module' ? o.name : rename(o.name),
    qualified_name: o.kind === 'module' ? path : rename(o.qualified_name),
    file_path: path,
    signature: rename(o.signature),
    doc: o.doc === null ? null : rename(o.doc),
  }));
  return chunkCode(path, rename(file.text), objects);
}

/** The text cogo embeds for a chunk (store.chunksToEmbed: symbol, signature and content, 2,000 characters). */
export function embeddingText(c: Chunk): string {
  return [c.symbol, c.signature, c.content]
    .filter((x) => x !== null)
    .join('\n')
    .slice(0, 2000);
}
