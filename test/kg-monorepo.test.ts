import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexRepository } from '../src/kg/index.ts';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { copyFixture, edgeStrings, snapshotGraph } from './helpers/repos.ts';

describe('a monorepo with project references', () => {
  let t: TestDatabase;
  let clean: TestDatabase;
  let root: string;

  beforeAll(async () => {
    [t, clean] = await Promise.all([createMigratedDatabase('pglite'), createMigratedDatabase('pglite')]);
    root = copyFixture('ts-monorepo');
  });
  afterAll(async () => {
    await Promise.all([t?.dispose(), clean?.dispose()]);
  });

  it('builds one program per referenced tsconfig project and an inferred one for the rest', async () => {
    const report = await indexRepository(t.db, { root, maxFileBytes: 1_000_000 });
    expect(report.projects).toEqual([
      { name: 'packages/app/tsconfig.json', files: 1 },
      { name: 'packages/core/tsconfig.json', files: 1 },
      { name: '(inferred)', files: 1 },
    ]);
    expect(report.configErrors).toEqual([]);
  });

  it('resolves calls and types across projects to the declarations in the other package', async () => {
    const g = await snapshotGraph(t.db);
    expect(edgeStrings(g, 'calls')).toEqual(
      expect.arrayContaining([
        'main -> createStore',
        'main -> Store.get',
        'saveUser -> Store.put',
        'seed -> Store.put',
        'createStore -> MemoryStore',
      ]),
    );
    expect(edgeStrings(g, 'uses_type')).toEqual(
      expect.arrayContaining(['saveUser -> Store', 'saveUser -> User']),
    );
    expect(edgeStrings(g, 'implements')).toEqual(['MemoryStore -> Store']);
    expect(edgeStrings(g, 'imports')).toEqual([
      'packages/app/src/main.ts -> packages/core/src/store.ts',
      'tools/gen.ts -> packages/core/src/store.ts',
    ]);
  });

  it('re-indexes importers in other projects when a shared file changes, matching a clean rebuild', async () => {
    const file = join(root, 'packages/core/src/store.ts');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(
        'export function createStore<T>(): Store<T> {',
        'export function createStore<T>() {',
      ),
    );
    const report = await indexRepository(t.db, { root, maxFileBytes: 1_000_000 });
    expect(report).toMatchObject({ mode: 'incremental', files: { extracted: 3, unchanged: 0 } });
    await indexRepository(clean.db, { root, maxFileBytes: 1_000_000, full: true });
    expect(await snapshotGraph(t.db)).toEqual(await snapshotGraph(clean.db));
  });
});
