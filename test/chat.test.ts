import { appendFileSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AskOutcome,
  askRag,
  ChatError,
  createBuiltinAnswerer,
  createChatService,
  createLlmAnswerer,
  createRepoReader,
  gatherEvidence,
  type LlmResponse,
  RESPONSE_VERSION,
  resolveInsideRepo,
  verifyCitations,
} from '../src/chat/index.ts';
import type { Db } from '../src/db/index.ts';
import { indexRepository } from '../src/kg/index.ts';
import { applyCatalog, catalogSchema, createLlmClient, createModelResolver } from '../src/llm/index.ts';
import { registry } from '../src/metrics/index.ts';
import { createLocalEmbedder, indexSearch } from '../src/search/index.ts';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { type LlmTestServer, startLlmTestServer } from './helpers/llm-server.ts';
import { copyFixture } from './helpers/repos.ts';

const embedder = createLocalEmbedder();

async function metric(
  name: string,
  labels: Record<string, string>,
  field: 'value' | 'count' = 'value',
): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values ?? [])
    .filter((v) => {
      const metricName = (v as { metricName?: string }).metricName ?? name;
      return field === 'count' ? metricName.endsWith('_count') : !/_(bucket|sum|count)$/.test(metricName);
    })
    .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
    .reduce((n, v) => n + Number(v.value), 0);
}

/** A copy of the ts-basic fixture, indexed (graph and search) into a fresh database. */
async function indexedFixture(t: TestDatabase): Promise<string> {
  const root = copyFixture('ts-basic');
  // A module that only re-exports, as an index.ts does.
  writeFileSync(
    join(root, 'src', 'index.ts'),
    "export { sumAreas } from './util.ts';\nexport * from './shapes.ts';\n",
  );
  await indexRepository(t.db, { root, maxFileBytes: 1_000_000, full: true });
  await indexSearch(t.db, { root, embedder, maxFileBytes: 1_000_000 });
  return root;
}

const builtin = createBuiltinAnswerer();
const ask = (db: Db, root: string, question: string) =>
  askRag({ db, root, answerer: builtin, embedder }, { question });
const cited = (o: AskOutcome) => o.response.citations.map((c) => `${c.path}:${c.start_line}`);

describe('the built-in answerer on a fixture repository', () => {
  let t: TestDatabase;
  let root: string;
  beforeAll(async () => {
    t = await createMigratedDatabase('pglite', 'chat_builtin');
    root = await indexedFixture(t);
  });
  afterAll(() => t?.dispose());

  // Every answer below must also pass every critic and keep all its citations.
  const expectClean = (o: AskOutcome) => {
    expect(o.removed).toEqual([]);
    expect(o.rounds).toBe(0);
    expect(o.critics[0]!.results.filter((r) => r.outcome === 'fail')).toEqual([]);
  };

  it('says where a symbol is defined, citing its lines', async () => {
    const o = await ask(t.db, root, 'Where is `sumAreas` defined?');
    expect(o.evidence.classified).toMatchObject({ intent: 'definition', subject: 'sumAreas' });
    expect(o.response.status).toBe('answered');
    expect(o.response.answer).toContain('src/util.ts');
    expect(o.response.citations[0]).toMatchObject({ path: 'src/util.ts', end_line: 17 });
    expectClean(o);
  });

  it('lists the callers of a function with the call lines', async () => {
    const o = await ask(t.db, root, 'Who calls sumAreas?');
    expect(o.response.status).toBe('answered');
    // main.ts line 13 (`run`) and line 20 (`Runner.run`) call it.
    expect(cited(o)).toEqual(expect.arrayContaining(['src/main.ts:13', 'src/main.ts:20']));
    expect(o.response.answer).toMatch(/`Runner\.run`/);
    expectClean(o);
  });

  it('lists what a function calls', async () => {
    const o = await ask(t.db, root, 'What does run call?');
    expect(o.evidence.classified.intent).toBe('callees');
    // `makeCircle` is a const bound to a function expression: its call is not resolved to a declaration.
    expect(o.response.answer).toMatch(/`Geometry\.distance`/);
    expect(o.response.answer).toMatch(/`double`/);
    expectClean(o);
  });

  it('gives the return type', async () => {
    const o = await ask(t.db, root, 'What does sumAreas return?');
    expect(o.response.answer).toContain('`Promise<number>`');
    expectClean(o);
  });

  it('lists implementations of an interface, transitively', async () => {
    const o = await ask(t.db, root, 'What implements Shape?');
    expect(o.response.answer).toMatch(/`Base`/);
    expect(o.response.answer).toMatch(/`Circle`/);
    expectClean(o);
  });

  it('lists what a module exports', async () => {
    const o = await ask(t.db, root, 'What does module src/util.ts export?');
    expect(o.response.status).toBe('answered');
    expect(o.response.answer).toMatch(/`sumAreas`/);
    expect(o.response.answer).toMatch(/`centre`/);
    // `export { untyped }` exports it too.
    expect(o.response.answer).toMatch(/`untyped` \(/);
    expectClean(o);
  });

  it('says what a module that only re-exports imports, citing the lines', async () => {
    const o = await ask(t.db, root, 'What does src/index.ts export?');
    expect(o.response.status).toBe('answered');
    expect(o.response.answer).toMatch(/declares nothing itself/);
    expect(o.response.answer).toMatch(/`src\/util\.ts`/);
    expect(o.response.answer).toMatch(/`src\/shapes\.ts`/);
    expect(cited(o)).toEqual(expect.arrayContaining(['src/index.ts:1', 'src/index.ts:2']));
    expectClean(o);
  });

  it('declines a qualified name that does not exist instead of answering about its class', async () => {
    const o = await ask(t.db, root, 'Where is Circle.grow defined?');
    expect(o.response.status).toBe('cannot_answer');
    expect(o.response.answer).toMatch(/No definition named `Circle\.grow`/);
  });

  it('lists what uses a type', async () => {
    const o = await ask(t.db, root, 'What uses type Point?');
    expect(o.response.answer).toMatch(/`centre`/);
    expect(o.response.answer).toMatch(/`Geometry\.distance`/);
    expectClean(o);
  });

  it('says what a change would affect', async () => {
    const o = await ask(t.db, root, 'What would a change to double affect?');
    expect(o.response.answer).toMatch(/`run`/);
    expectClean(o);
  });

  it('declines plainly when the symbol does not exist, citing nothing', async () => {
    const o = await ask(t.db, root, 'Who calls sendEmail?');
    expect(o.response.status).toBe('cannot_answer');
    expect(o.response.citations).toEqual([]);
    expect(o.response.answer).toMatch(/No definition named `sendEmail`/);
  });

  it('declines an open question the code says nothing about', async () => {
    const o = await ask(t.db, root, 'How are email notifications sent to users?');
    expect(o.response.status).toBe('cannot_answer');
    expect(o.response.answer).toMatch(/cannot answer/);
  });

  it('answers an open question with the best evidence, as a partial answer', async () => {
    const o = await ask(t.db, root, 'How are the areas of shapes summed up?');
    expect(o.response.status).toBe('partial');
    expect(o.response.answer).toMatch(/`sumAreas`/);
    expectClean(o);
  });

  it('gathers evidence in policy order within the token budget', async () => {
    const e = await gatherEvidence(t.db, 'Who calls sumAreas?', { root, embedder });
    const order = ['schema', 'contains', 'local_file', 'calls', 'imports', 'graph'];
    const ranks = e.items.map((i) => order.indexOf(i.kind));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(new Set(e.items.map((i) => i.kind))).toEqual(new Set(['schema', 'local_file', 'calls', 'graph']));
    for (const i of e.items) expect(i.contentHash).toMatch(/^[0-9a-f]{64}$/);
    const small = await gatherEvidence(t.db, 'Who calls sumAreas?', { root, embedder, budgetTokens: 200 });
    expect(small.tokens).toBeLessThanOrEqual(200);
    expect(small.dropped).toBeGreaterThan(0);
    expect(small.items[0]!.kind).toBe('schema');
  });
});

describe('citation verification and the path guard', () => {
  let t: TestDatabase;
  let root: string;
  beforeAll(async () => {
    t = await createMigratedDatabase('pglite', 'chat_citations');
    root = await indexedFixture(t);
  });
  afterAll(() => t?.dispose());

  it('rejects a made-up path, lines outside the evidence, lines that do not exist and a wrong object', async () => {
    const e = await gatherEvidence(t.db, 'Where is sumAreas defined?', { root, embedder });
    const def = e.items.find((i) => i.kind === 'schema')!;
    const c = (path: string, start: number, end: number, object_id: string | null = null) => ({
      path,
      start_line: start,
      end_line: end,
      object_id,
    });
    const check = await verifyCitations(
      [
        c(def.path, def.startLine, def.endLine, def.objectId),
        c('src/invented.ts', 1, 2),
        c(def.path, 400, 401),
        c(def.path, def.startLine, def.endLine, 'ffffffffffffffffffffffffffffffff'),
      ],
      [...e.items, { ...def, id: 'EX', startLine: 1, endLine: 500 }],
      createRepoReader(root),
    );
    expect(check.valid).toHaveLength(1);
    expect(check.rejected.map((r) => r.reason)).toEqual([
      'NOT_IN_EVIDENCE',
      'LINES_DO_NOT_EXIST',
      'OBJECT_MISMATCH',
    ]);
    const outside = await verifyCitations([c(def.path, 1, 2)], e.items, createRepoReader(root));
    expect(outside.rejected.map((r) => r.reason)).toEqual(['LINES_NOT_IN_EVIDENCE']);
  });

  it('refuses paths outside the repository, by .., absolute path or symlink', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'cogo-outside-'));
    writeFileSync(join(outside, 'secret.ts'), 'export const key = 1;\n');
    symlinkSync(join(outside, 'secret.ts'), join(root, 'src', 'link.ts'));
    for (const path of ['../secret.ts', join(outside, 'secret.ts'), 'src/../../secret.ts', 'src/link.ts'])
      await expect(resolveInsideRepo(root, path)).rejects.toMatchObject({ code: 'PATH_OUTSIDE_REPO' });
    await expect(resolveInsideRepo(root, 'src/nothing.ts')).rejects.toMatchObject({
      code: 'FILE_UNREADABLE',
    });
    await expect(resolveInsideRepo(root, 'src/util.ts')).resolves.toMatch(/src\/util\.ts$/);
    const reader = createRepoReader(root);
    await expect(reader.read('src/link.ts')).rejects.toBeInstanceOf(ChatError);
  });

  it('never shows a citation into a file that changed since indexing as valid', async () => {
    const changed = await createMigratedDatabase('pglite', 'chat_changed');
    try {
      const r = await indexedFixture(changed);
      appendFileSync(join(r, 'src', 'util.ts'), '\n// edited after indexing\n');
      const o = await ask(changed.db, r, 'Where is sumAreas defined?');
      expect(o.evidence.skipped).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ path: 'src/util.ts', reason: expect.stringMatching(/FILE_CHANGED/) }),
        ]),
      );
      expect(o.response.citations.filter((c) => c.path === 'src/util.ts')).toEqual([]);
      expect(o.removed.map((x) => x.reason)).toContain('FILE_CHANGED');
      expect(o.response.status).not.toBe('answered');
    } finally {
      await changed.dispose();
    }
  });
});

describe('the LLM answerer through the router, with self-correction', () => {
  let t: TestDatabase;
  let root: string;
  let server: LlmTestServer;
  const llm = () =>
    createLlmClient({
      db: t.db,
      resolveModel: createModelResolver({ db: t.db, actor: 'test', timeoutMs: 5000 }),
      scoreVersion: 'v2',
      healthTtlMs: 86_400_000,
      catalogTtlMs: 0,
      firstTokenTimeoutMs: 2000,
      sleep: async () => undefined,
    });

  beforeAll(async () => {
    t = await createMigratedDatabase('pglite', 'chat_llm');
    root = await indexedFixture(t);
    server = await startLlmTestServer();
    await applyCatalog(
      t.db,
      catalogSchema.parse({
        providers: [{ id: 'local', kind: 'openai-compatible', baseUrl: `${server.url}/v1` }],
        models: [{ provider: 'local', model: 'm1', capabilityClass: 'chat', contextWindow: 100_000 }],
        policies: [{ service: 'chat', capabilityClass: 'chat' }],
      }),
    );
  });
  afterAll(async () => {
    await server?.close();
    await t?.dispose();
  });

  const reply = (over: Partial<LlmResponse>): LlmResponse => ({
    version: RESPONSE_VERSION,
    status: 'answered',
    answer: '`sumAreas` is defined in `src/util.ts`.',
    citations: [],
    confidence: 0.8,
    evidence_used: ['E1'],
    follow_ups: [],
    ...over,
  });

  it('sends a draft citing a wrong line back with the finding, streams both, and keeps only the verified answer', async () => {
    server.reset();
    const e = await gatherEvidence(t.db, 'Where is sumAreas defined?', { root, embedder });
    const def = e.items.find((i) => i.kind === 'schema')!;
    const good = {
      path: def.path,
      start_line: def.startLine,
      end_line: def.endLine,
      object_id: def.objectId,
    };
    server.script('m1', [
      { reply: '', json: reply({ citations: [{ ...good, start_line: 900, end_line: 901 }] }) },
      { reply: '', json: reply({ citations: [good] }) },
    ]);
    const events: string[] = [];
    const failedCitations = await metric('cogo_chat_critic_outcomes_total', {
      critic: 'citations',
      outcome: 'fail',
    });
    const answers = await metric('cogo_chat_correction_rounds', { answerer: 'llm' }, 'count');
    const tokens = await metric('cogo_llm_tokens_total', { service: 'chat', type: 'output' });
    const o = await askRag(
      { db: t.db, root, answerer: createLlmAnswerer({ llm: llm() }), embedder },
      {
        question: 'Where is sumAreas defined?',
        onEvent: (ev) => events.push(ev.type === 'delta' ? `d:${ev.text}` : ev.type),
      },
    );
    expect(o.answerer).toBe('llm');
    expect(o.rounds).toBe(1);
    expect(o.critics[0]!.results.find((r) => r.critic === 'citations')!.outcome).toBe('fail');
    expect(o.critics[1]!.results.every((r) => r.outcome !== 'fail')).toBe(true);
    expect(o.response.citations).toEqual([good]);
    expect(o.removed).toEqual([]);
    // The revision request carried the finding back to the model.
    expect(server.requests).toHaveLength(2);
    expect(JSON.stringify(server.requests[1]!.body)).toMatch(
      /src\/util\.ts:900-901 is invalid \(LINES_NOT_IN_EVIDENCE\)/,
    );
    // The answer streamed twice, with a restart between the drafts.
    const text = (from: number, to: number) =>
      events
        .slice(from, to)
        .filter((x) => x.startsWith('d:'))
        .map((x) => x.slice(2))
        .join('');
    const restart = events.indexOf('restart');
    expect(restart).toBeGreaterThan(0);
    expect(text(0, restart)).toBe(o.response.answer);
    expect(text(restart, events.length)).toBe(o.response.answer);
    expect(o.firstTokenMs).not.toBeNull();
    expect(o.usage).toHaveLength(2);
    expect(await metric('cogo_chat_critic_outcomes_total', { critic: 'citations', outcome: 'fail' })).toBe(
      failedCitations + 1,
    );
    expect(await metric('cogo_chat_correction_rounds', { answerer: 'llm' }, 'count')).toBe(answers + 1);
    expect(await metric('cogo_llm_tokens_total', { service: 'chat', type: 'output' })).toBeGreaterThan(
      tokens,
    );
  });

  it('removes a citation still wrong after the last round and says so', async () => {
    server.reset();
    server.script('m1', [
      {
        reply: '',
        json: reply({ citations: [{ path: 'src/made-up.ts', start_line: 1, end_line: 3, object_id: null }] }),
      },
    ]);
    const o = await askRag(
      { db: t.db, root, answerer: createLlmAnswerer({ llm: llm() }), embedder, maxRounds: 1 },
      { question: 'Where is sumAreas defined?' },
    );
    expect(o.rounds).toBe(1);
    expect(o.response.citations).toEqual([]);
    expect(o.removed.map((r) => r.reason)).toEqual(['NOT_IN_EVIDENCE']);
    expect(o.response.status).toBe('partial');
    expect(o.response.answer).toMatch(/could not be verified and was removed: src\/made-up\.ts:1-3/);
  });

  it('answers with the built-in answerer when the model never returns the contract', async () => {
    server.reset();
    server.script('m1', [{ reply: 'Sure! sumAreas lives in util.' }]);
    const o = await askRag(
      { db: t.db, root, answerer: createLlmAnswerer({ llm: llm() }), embedder, maxRounds: 1 },
      { question: 'Where is sumAreas defined?' },
    );
    expect(o.answerer).toBe('builtin-fallback');
    expect(o.critics[0]!.results.find((r) => r.critic === 'contract')!.findings[0]).toMatch(/not JSON/);
    expect(o.response.status).toBe('answered');
    expect(o.response.citations[0]!.path).toBe('src/util.ts');
  });

  it('asks the intended model first and records it with the served one', async () => {
    server.reset();
    await applyCatalog(
      t.db,
      catalogSchema.parse({
        providers: [{ id: 'local', kind: 'openai-compatible', baseUrl: `${server.url}/v1` }],
        models: [
          { provider: 'local', model: 'm1', capabilityClass: 'chat', contextWindow: 100_000 },
          { provider: 'local', model: 'm2', capabilityClass: 'chat', contextWindow: 100_000 },
        ],
        policies: [{ service: 'chat', capabilityClass: 'chat' }],
      }),
    );
    const e = await gatherEvidence(t.db, 'Where is sumAreas defined?', { root, embedder });
    const def = e.items.find((i) => i.kind === 'schema')!;
    const good = {
      path: def.path,
      start_line: def.startLine,
      end_line: def.endLine,
      object_id: def.objectId,
    };
    for (const m of ['m1', 'm2']) server.script(m, [{ reply: '', json: reply({ citations: [good] }) }]);
    const chat = createChatService({ db: t.db, root, answerer: createLlmAnswerer({ llm: llm() }), embedder });
    const r = await chat.ask({ question: 'Where is sumAreas defined?', intendedModel: 'local/m2' });
    expect(r.answer).toMatchObject({
      status: 'complete',
      intendedModel: 'local/m2',
      servedModel: 'local/m2',
    });
    expect(server.requests.map((q) => q.model)).toEqual(['m2']);
  });
});
