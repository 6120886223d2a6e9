import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexRepository } from '../src/kg/index.ts';
import { createLocalEmbedder, indexSearch } from '../src/search/index.ts';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { createRepo, SRC_TSCONFIG } from './helpers/repos.ts';

// Whether a value is a function is the checker's answer, so it can change with another file.
describe('search chunks of a file whose values change kind through another file', () => {
  let t: TestDatabase;
  let root: string;
  const embedder = createLocalEmbedder();
  const reindex = async () => {
    await indexRepository(t.db, { root, maxFileBytes: 1_000_000 });
    return indexSearch(t.db, { root, embedder, maxFileBytes: 1_000_000 });
  };
  const chunkOf = async (symbol: string) =>
    (
      await t.db.query<{ kind: string; object_id: string }>(
        'select kind, object_id from search_chunks where symbol = $1',
        [symbol],
      )
    ).rows;

  beforeAll(async () => {
    t = await createMigratedDatabase('pglite');
    root = createRepo({
      'tsconfig.json': SRC_TSCONFIG,
      'src/make.ts': 'export function make() {\n  return 1;\n}\n',
      'src/api.ts': "import { make } from './make.ts';\n\nexport const handler = make();\n",
    });
    await reindex();
  });
  afterAll(() => t.dispose());

  it('re-chunks the unchanged file so its chunk names the object as it is now', async () => {
    expect(await chunkOf('handler')).toEqual([{ kind: 'variable', object_id: expect.any(String) }]);
    writeFileSync(join(root, 'src/make.ts'), 'export function make() {\n  return (n: number) => n;\n}\n');
    const report = await reindex();
    expect(report.files.chunked).toBe(2);
    const [chunk] = await chunkOf('handler');
    expect(chunk?.kind).toBe('function');
    const { rows } = await t.db.query<{ kind: string }>('select kind from cbo_objects where id = $1', [
      chunk?.object_id,
    ]);
    expect(rows).toEqual([{ kind: 'function' }]);
  });
});
