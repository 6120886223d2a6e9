import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AskOutcome,
  askRag,
  buildPrompt,
  composeBuiltinAnswer,
  createBuiltinAnswerer,
  type EvidenceSet,
  gatherEvidence,
} from '../src/chat/index.ts';
import { type GraphQuery, indexRepository, queryGraph } from '../src/kg/index.ts';
import { createLocalEmbedder, indexSearch } from '../src/search/index.ts';
import { CALLERS, COUNTS, createCountsRepo } from './helpers/counts-repo.ts';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';

const embedder = createLocalEmbedder();
const builtin = createBuiltinAnswerer();
// What the built-in answer lists of a long list.
const LISTED = 25;

/** The names an answer lists, in order: `- \`name\` at ...` or `- kind \`name\` at ...`. */
const listedNames = (answer: string) => [...answer.matchAll(/^- (?:[a-z]+ )?`([^`]+)`/gm)].map((m) => m[1]!);

/** The names `cogo graph` lists for a query, in its order. */
async function graphNames(t: TestDatabase, query: GraphQuery, symbol: string): Promise<string[]> {
  return (await queryGraph(t.db, query, symbol)).hits.map((h) => h.object.qualified_name);
}

describe('built-in answers state the counts the graph holds, not the caps', () => {
  let t: TestDatabase;
  let root: string;
  const ask = (question: string): Promise<AskOutcome> =>
    askRag({ db: t.db, root, answerer: builtin, embedder }, { question });

  beforeAll(async () => {
    t = await createMigratedDatabase('pglite', 'chat_counts');
    root = createCountsRepo();
    await indexRepository(t.db, { root, maxFileBytes: 1_000_000, full: true });
    await indexSearch(t.db, { root, embedder, maxFileBytes: 1_000_000 });
  });
  afterAll(() => t?.dispose());

  it('says how many callers there are and how many it lists, the first of what cogo graph callers lists', async () => {
    const o = await ask('Who calls `target`?');
    expect(o.response.status).toBe('answered');
    expect(o.response.answer).toContain(
      `It has ${CALLERS} callers; the first ${LISTED} in file order are listed (all of them: cogo graph callers target):`,
    );
    expect(o.response.answer).not.toMatch(/\b60 (callers|places)\b/);
    const graph = await graphNames(t, 'callers', 'target');
    expect(graph).toHaveLength(CALLERS);
    expect(listedNames(o.response.answer)).toEqual(graph.slice(0, LISTED));
  });

  it('carries the totals in the evidence: what the graph holds and what was gathered', async () => {
    const e = await gatherEvidence(t.db, 'Who calls `target`?', { root, embedder });
    const target = e.subjects[0]!;
    expect(e.totals).toContainEqual(
      expect.objectContaining({
        subjectId: target.id,
        kinds: ['calls'],
        direction: 'in',
        depth: 1,
        total: CALLERS,
        gathered: 60,
      }),
    );
    // The model reads the totals with the evidence, so it can state them too.
    const shown = e.items.filter((i) => i.relation?.kind === 'calls' && i.relation.direction === 'in').length;
    expect(shown).toBe(60);
    const prompt = buildPrompt({ question: e.question, evidence: e, history: [] });
    expect(prompt.at(-1)!.content).toContain(
      `- function target: ${CALLERS} callers (1 hop); the evidence has ${shown} of them`,
    );
  });

  it('says how many callees there are', async () => {
    const o = await ask('What does `runAll` call?');
    expect(o.evidence.classified.intent).toBe('callees');
    expect(o.response.answer).toContain(
      `It calls ${CALLERS} declarations; the first ${LISTED} in file order are listed (all of them: cogo graph callees runAll):`,
    );
    expect(listedNames(o.response.answer)).toEqual(
      (await graphNames(t, 'callees', 'runAll')).slice(0, LISTED),
    );
  });

  it('counts implementations through subclasses as cogo graph implementations does, for a type and a method', async () => {
    const types = await ask('What implements `Sink`?');
    const all = COUNTS.sinks + COUNTS.subs;
    expect(types.response.answer).toContain(
      `${all} types implement or extend it, directly or through other types; the ${LISTED} nearest are listed (all of them: cogo graph implementations Sink):`,
    );
    const graph = await graphNames(t, 'implementations', 'Sink');
    expect(graph).toHaveLength(all);
    expect(listedNames(types.response.answer)).toEqual(graph.slice(0, LISTED));

    const methods = await ask('What implements `Sink.handle`?');
    expect(methods.response.answer).toContain(
      `${all} methods implement or override it; the ${LISTED} nearest are listed (all of them: cogo graph implementations Sink.handle):`,
    );
    expect(listedNames(methods.response.answer)).toEqual(
      (await graphNames(t, 'implementations', 'Sink.handle')).slice(0, LISTED),
    );
  });

  it('counts the impact of a change over the same relations and 3 hops as cogo graph impact', async () => {
    const o = await ask('What would a change to `target` affect?');
    expect(o.response.answer).toContain(
      `${CALLERS + 1} declarations depend on it (calls, type uses, extends, implements, imports; up to 3 hops); the ${LISTED} nearest are listed (all of them: cogo graph impact target):`,
    );
    const graph = await graphNames(t, 'impact', 'target');
    expect(graph).toHaveLength(CALLERS + 1);
    expect(listedNames(o.response.answer)).toEqual(graph.slice(0, LISTED));
    const sink = await ask('What would a change to `Sink` affect?');
    expect(sink.response.answer).toContain('135 declarations depend on it');
    expect(await graphNames(t, 'impact', 'Sink')).toHaveLength(135);
  });

  it('counts the type uses of a type', async () => {
    const o = await ask('What uses type `Sink`?');
    expect(o.evidence.classified.intent).toBe('type_uses');
    expect(o.response.answer).toContain(
      `${COUNTS.feeders} declarations use it as a type; the first ${LISTED} in file order are listed:`,
    );
  });

  it('counts what a module exports by kind, from the graph', async () => {
    const o = await ask('What does `src/feeders.ts` export?');
    expect(o.response.status).toBe('answered');
    expect(o.response.answer).toContain(
      `Module \`src/feeders.ts\` exports ${COUNTS.feeders + 4} declarations (${COUNTS.feeders + 1} functions, 2 interfaces, 1 type); the first ${LISTED} in file order are listed:`,
    );
    expect(o.response.answer).not.toMatch(/variables are not|not in the index/);
    expect(listedNames(o.response.answer)).toHaveLength(LISTED);
    const none = await ask('What does `src/hidden.ts` export?');
    expect(none.response.status).toBe('answered');
    // The kinds it names are the graph's own (OBJECT_KINDS), whatever they are.
    expect(none.response.answer).toMatch(
      /^Module `src\/hidden\.ts` exports no declarations: its 1 declaration is not exported \(the index records [a-z, ]+ and [a-z]+ as declarations\)\.$/,
    );
  });

  it('says how many declarations a name has when it shows only some', async () => {
    const o = await ask('Where is `handle` defined?');
    const all = 1 + COUNTS.sinks + COUNTS.subs;
    expect(o.response.answer).toMatch(new RegExp(`^${all} declarations are named \`handle\`; 5 are shown:`));
    expect(listedNames(o.response.answer)).toHaveLength(5);
  });

  it('uses the singular for one, and lists a short list whole without a listed clause', async () => {
    const one = await ask('Who calls `lonely`?');
    expect(one.response.answer).toMatch(/It has 1 caller:\n- `helperOne` at `src\/feeders\.ts` line 14$/m);
    expect(one.response.answer).not.toMatch(/listed/);
    const impact = await ask('What would a change to `lonely` affect?');
    expect(impact.response.answer).toContain(
      '3 declarations depend on it (calls, type uses, extends, implements, imports; up to 3 hops):',
    );
  });

  it('states the total and how many it lists when the token budget keeps fewer than gathered', async () => {
    const small: EvidenceSet = await gatherEvidence(t.db, 'Who calls `target`?', {
      root,
      embedder,
      budgetTokens: 600,
    });
    const kept = small.items.filter((i) => i.kind === 'calls').length;
    expect(kept).toBeGreaterThan(1);
    expect(kept).toBeLessThan(LISTED);
    const answer = composeBuiltinAnswer(small).answer;
    expect(answer).toContain(`It has ${CALLERS} callers; the first ${kept} in file order are listed`);
    expect(listedNames(answer)).toHaveLength(kept);
  });
});

const run = promisify(execFile);
const MAIN = new URL('../src/cli/main.ts', import.meta.url).pathname;

async function cogo(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [MAIN, ...args], {
    cwd,
    env: { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: '' },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

describe('cogo ask and cogo graph agree on callers, implementations and impact', () => {
  let repo: string;
  beforeAll(async () => {
    repo = createCountsRepo();
    await cogo(repo, ['index']);
  });

  it.each([
    ['callers', 'target', 'Who calls `target`?', CALLERS],
    ['implementations', 'Sink', 'What implements `Sink`?', COUNTS.sinks + COUNTS.subs],
    ['impact', 'target', 'What would a change to `target` affect?', CALLERS + 1],
  ] as const)(
    '%s of %s: the same total, and the listed ones are the first the graph lists',
    async (query, symbol, question, total) => {
      const graph = JSON.parse(await cogo(repo, ['graph', query, symbol, '--json'])) as {
        hits: Array<{ object: { qualified_name: string } }>;
      };
      expect(graph.hits).toHaveLength(total);
      expect(await cogo(repo, ['graph', query, symbol])).toContain(`${query} (${total}):`);
      const asked = JSON.parse(await cogo(repo, ['ask', question, '--json'])) as {
        message: { response: { answer: string } };
      };
      const answer = asked.message.response.answer;
      expect(answer).toMatch(new RegExp(`\\b${total} (callers|types|declarations)\\b`));
      expect(answer).toContain(`the ${query === 'callers' ? `first ${LISTED}` : `${LISTED} nearest`}`);
      expect(listedNames(answer)).toEqual(graph.hits.slice(0, LISTED).map((h) => h.object.qualified_name));
    },
  );
});
