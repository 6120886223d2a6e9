import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { askRag, createBuiltinAnswerer } from '../src/chat/index.ts';
import { indexRepository, queryGraph } from '../src/kg/index.ts';
import { createLocalEmbedder, indexSearch, searchCode } from '../src/search/index.ts';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { copyFixture } from './helpers/repos.ts';

// A library whose API is bound to values, asked about the way its users write names: through the
// namespace they import it as (`Arr.flatMap`, `A.make`).
describe('asking about value-bound APIs by module-qualified names', () => {
  let t: TestDatabase;
  let root: string;
  const embedder = createLocalEmbedder();
  const ask = (question: string) =>
    askRag({ db: t.db, root, answerer: createBuiltinAnswerer(), embedder }, { question });

  beforeAll(async () => {
    t = await createMigratedDatabase('pglite');
    root = copyFixture('ts-values');
    await indexRepository(t.db, { root, maxFileBytes: 1_000_000 });
    await indexSearch(t.db, { root, embedder, maxFileBytes: 1_000_000 });
  });
  afterAll(() => t.dispose());

  it('answers what a value-bound function returns, citing its declaration', async () => {
    const outcome = await ask('What does Arr.flatMap return?');
    expect(outcome.response.status).toBe('answered');
    expect(outcome.response.answer).toContain('`B[]`');
    expect(outcome.response.citations.map((c) => `${c.path}:${c.start_line}`)).toContain('src/Array.ts:13');
  });

  it('names the callers of a function called through a namespace import and a re-export', async () => {
    const graph = await queryGraph(t.db, 'callers', 'A.flatMap');
    expect(graph.hits.map((h) => h.object.qualified_name).sort()).toEqual(['aliases', 'main']);
    const outcome = await ask('Who calls A.flatMap?');
    expect(outcome.response.status).toBe('answered');
    expect(outcome.response.answer).toContain('`main`');
    expect(outcome.response.answer).toContain('`aliases`');
  });

  it('finds a value-bound declaration by its name in search, with its doc comment', async () => {
    const result = await searchCode(t.db, 'flatMap', { embedder });
    expect(result.hits[0]).toMatchObject({ symbol: 'flatMap', kind: 'function', startLine: 12 });
  });
});
