import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChatMessageRecord,
  type ChatService,
  chatSummary,
  createBuiltinAnswerer,
  createChatService,
  createLlmAnswerer,
  type LlmResponse,
  RESPONSE_VERSION,
} from '../src/chat/index.ts';
import { indexRepository } from '../src/kg/index.ts';
import { applyCatalog, catalogSchema, createLlmClient, createModelResolver } from '../src/llm/index.ts';
import { registry } from '../src/metrics/index.ts';
import { createLocalEmbedder, indexSearch } from '../src/search/index.ts';
import { createGatewayApp, startGateway } from '../src/services/gateway/index.ts';
import { ADAPTERS, createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { type LlmTestServer, startLlmTestServer } from './helpers/llm-server.ts';
import { copyFixture } from './helpers/repos.ts';

const embedder = createLocalEmbedder();

async function indexed(t: TestDatabase): Promise<string> {
  const root = copyFixture('ts-basic');
  await indexRepository(t.db, { root, maxFileBytes: 1_000_000, full: true });
  await indexSearch(t.db, { root, embedder, maxFileBytes: 1_000_000 });
  return root;
}

interface SseEvent {
  readonly event: string;
  readonly data: unknown;
}

/** Reads a Server-Sent Events body to its end. */
async function readSse(res: Response): Promise<SseEvent[]> {
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const text = await res.text();
  return text
    .split(/\n\n/)
    .filter((block) => block.trim().length > 0)
    .map((block) => {
      const lines = block.split('\n');
      const event =
        lines
          .find((l) => l.startsWith('event:'))
          ?.slice(6)
          .trim() ?? 'message';
      const data = lines
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      return { event, data: JSON.parse(data) as unknown };
    });
}

async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
    .reduce((n, v) => n + Number(v.value), 0);
}

describe.each(ADAPTERS)('the chat service on %s', (adapter) => {
  let t: TestDatabase;
  let chat: ChatService;
  beforeAll(async () => {
    t = await createMigratedDatabase(adapter, 'chat_service');
    const root = await indexed(t);
    chat = createChatService({ db: t.db, root, answerer: createBuiltinAnswerer(), embedder });
  });
  afterAll(() => t?.dispose());

  it('stores the question and the complete answer with its evidence, citations and contract', async () => {
    const deltas: string[] = [];
    const r = await chat.ask({
      question: 'Who calls sumAreas?',
      onEvent: (e) => {
        if (e.type === 'delta') deltas.push(e.text);
      },
    });
    expect(r.question).toMatchObject({
      role: 'user',
      status: 'complete',
      seq: 1,
      content: 'Who calls sumAreas?',
    });
    expect(r.answer).toMatchObject({
      role: 'assistant',
      status: 'complete',
      seq: 2,
      replyTo: r.question.id,
      answerer: 'builtin',
    });
    expect(r.answer.content).toBe(r.answer.response!.answer);
    expect(deltas.join('')).toBe(r.answer.content);
    expect(r.answer.citations).toEqual(r.answer.response!.citations);
    const evidence = r.answer.evidence as Array<{ id: string; content_hash: string; path: string }>;
    expect(evidence.length).toBeGreaterThan(0);
    for (const e of evidence) expect(e.content_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(r.answer.latencyMs).toBeGreaterThan(0);

    const again = await chat.ask({ sessionId: r.session.id, question: 'What does sumAreas return?' });
    expect(again.question.seq).toBe(3);
    const { messages } = await chat.history(r.session.id);
    expect(messages.map((m) => [m.seq, m.role, m.status])).toEqual([
      [1, 'user', 'complete'],
      [2, 'assistant', 'complete'],
      [3, 'user', 'complete'],
      [4, 'assistant', 'complete'],
    ]);
  });

  it('turns a thumbs-down with a correction into a corrected answer linked to the original', async () => {
    const r = await chat.ask({ question: 'Where is sumAreas defined?' });
    const up = await chat.feedback(r.answer.id, { rating: 1 });
    expect(up.corrected).toBeNull();
    const down = await chat.feedback(r.answer.id, {
      rating: -1,
      correction: 'It is in util.ts, say which lines.',
    });
    expect(down.corrected).toMatchObject({
      correctsId: r.answer.id,
      replyTo: r.question.id,
      status: 'complete',
    });
    expect(down.feedback.correctedMessageId).toBe(down.corrected!.id);
    // The built-in answerer quotes the correction and checks the names it writes as code.
    const checked = await chat.feedback(r.answer.id, {
      rating: -1,
      correction: 'No: `Runner.run` defines it, and `makeTriangle` too.',
    });
    expect(checked.corrected!.content).toMatch(/\*\*Your correction\*\*/);
    expect(checked.corrected!.content).toMatch(/`Runner\.run` is a method in `src\/main\.ts`/);
    expect(checked.corrected!.content).toMatch(/No definition named `makeTriangle` is in the index/);
    expect(checked.corrected!.response!.citations.map((c) => c.path)).toContain('src/main.ts');
    const { rows } = await t.db.query<{
      rating: number;
      correction: string | null;
      corrected_message_id: string | null;
    }>(
      'select rating, correction, corrected_message_id from chat_feedback where message_id = $1 order by created_at, rating desc',
      [r.answer.id],
    );
    expect(rows).toHaveLength(3);
    expect(rows.slice(0, 2)).toEqual([
      { rating: 1, correction: null, corrected_message_id: null },
      {
        rating: -1,
        correction: 'It is in util.ts, say which lines.',
        corrected_message_id: down.corrected!.id,
      },
    ]);
  });

  it('answers a message once: a final answer is returned as it is, an abandoned streaming one is answered again', async () => {
    const submitted = await chat.submit({ question: 'Who calls sumAreas?' });
    expect(submitted.answer.status).toBe('pending');
    const first = await chat.answer(submitted.answer.id);
    expect(first.answer.status).toBe('complete');
    const again = await chat.answer(submitted.answer.id);
    expect(again.outcome).toBeNull();
    expect(again.answer).toEqual(first.answer);
    // A worker died mid-answer: the row says streaming, with half a text.
    const other = await chat.submit({ question: 'What does sumAreas return?' });
    await t.db.query(`update chat_messages set status = 'streaming', content = 'half an ans' where id = $1`, [
      other.answer.id,
    ]);
    const events: string[] = [];
    const redone = await chat.answer(other.answer.id, { onEvent: (e) => events.push(e.type) });
    expect(events[0]).toBe('restart');
    expect(redone.answer.status).toBe('complete');
    expect(redone.answer.content).toMatch(/Promise<number>/);
    const { rows } = await t.db.query<{ n: number }>(
      `select count(*)::int as n from chat_messages where session_id = $1 and role = 'assistant'`,
      [other.session.id],
    );
    expect(rows[0]!.n).toBe(1);
  });

  it('refuses feedback on a question, an unknown session, and an empty question', async () => {
    const r = await chat.ask({ question: 'What does run call?' });
    await expect(chat.feedback(r.question.id, { rating: -1, comment: 'no' })).rejects.toMatchObject({
      code: 'INVALID_FEEDBACK',
    });
    await expect(
      chat.ask({ sessionId: '00000000-0000-4000-8000-000000000000', question: 'x?' }),
    ).rejects.toMatchObject({
      code: 'SESSION_NOT_FOUND',
    });
    await expect(chat.ask({ question: '   ' })).rejects.toMatchObject({ code: 'INVALID_QUESTION' });
  });
});

describe('chat over HTTP', () => {
  let t: TestDatabase;
  let root: string;
  let server: LlmTestServer;
  let app: ReturnType<typeof createGatewayApp>;
  const post = (path: string, body: unknown) =>
    app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    t = await createMigratedDatabase('pglite', 'chat_http');
    root = await indexed(t);
    server = await startLlmTestServer();
    app = createGatewayApp({
      db: t.db,
      embedder,
      chat: createChatService({ db: t.db, root, answerer: createBuiltinAnswerer(), embedder }),
    });
  });
  afterAll(async () => {
    await server?.close();
    await t?.dispose();
  });

  it('answers a message as an SSE stream of deltas ending in the stored contract, over a real socket', async () => {
    const created = await post('/api/chat/sessions', { title: 'fixture' });
    expect(created.status).toBe(201);
    const session = ((await created.json()) as { result: { id: string } }).result;
    const gateway = await startGateway({ app, port: 0 });
    try {
      const res = await fetch(`http://127.0.0.1:${gateway.port}/api/chat/sessions/${session.id}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'Who calls sumAreas?' }),
      });
      expect(res.status).toBe(200);
      const events = await readSse(res);
      expect(events[0]!.event).toBe('start');
      expect(events.at(-1)!.event).toBe('final');
      const final = events.at(-1)!.data as { message: ChatMessageRecord; response: LlmResponse };
      expect(final.response.version).toBe(RESPONSE_VERSION);
      expect(final.message.status).toBe('complete');
      const text = events
        .filter((e) => e.event === 'delta')
        .map((e) => (e.data as { text: string }).text)
        .join('');
      expect(text).toBe(final.response.answer);
      expect(events.some((e) => e.event === 'critics')).toBe(true);
    } finally {
      await gateway.close();
    }
    const history = await app.request(`/api/chat/sessions/${session.id}/messages`);
    const body = (await history.json()) as { result: { messages: ChatMessageRecord[] } };
    expect(body.result.messages.map((m) => m.role)).toEqual(['user', 'assistant']);

    const fb = await post(`/api/chat/messages/${body.result.messages[1]!.id}/feedback`, {
      rating: 'down',
      comment: 'Also list the file of each caller.',
    });
    expect(fb.status).toBe(201);
    const fbBody = (await fb.json()) as { result: { corrected: ChatMessageRecord } };
    expect(fbBody.result.corrected.correctsId).toBe(body.result.messages[1]!.id);
  });

  it('answers malformed requests with 400 and unknown sessions or messages with 404', async () => {
    const bad = await app.request('/api/chat/sessions', {
      method: 'POST',
      body: '{not json',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('INVALID_REQUEST');
    expect((await post('/api/chat/sessions', { title: 'x', extra: 1 })).status).toBe(400);
    expect((await post('/api/chat/sessions/not-a-uuid/messages', { content: 'hi' })).status).toBe(400);
    const missing = await post('/api/chat/sessions/00000000-0000-4000-8000-000000000000/messages', {
      content: 'hi',
    });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('SESSION_NOT_FOUND');
    const s = ((await (await post('/api/chat/sessions', {})).json()) as { result: { id: string } }).result;
    expect((await post(`/api/chat/sessions/${s.id}/messages`, { content: '' })).status).toBe(400);
    expect(
      (await post('/api/chat/messages/00000000-0000-4000-8000-000000000000/feedback', { rating: 1 })).status,
    ).toBe(404);
    expect(
      (await post('/api/chat/messages/00000000-0000-4000-8000-000000000000/feedback', { rating: 5 })).status,
    ).toBe(400);
  });

  it('stores a failed answer with the provider error code when every deployment fails, and keeps the question', async () => {
    await applyCatalog(
      t.db,
      catalogSchema.parse({
        providers: [{ id: 'dead', kind: 'openai-compatible', baseUrl: `${server.url}/v1` }],
        models: [{ provider: 'dead', model: 'm-dead', capabilityClass: 'chat', contextWindow: 100_000 }],
        policies: [{ service: 'chat', capabilityClass: 'chat' }],
      }),
    );
    server.script('m-dead', [{ status: 503, message: 'overloaded' }]);
    const llm = createLlmClient({
      db: t.db,
      resolveModel: createModelResolver({ db: t.db, actor: 'test', timeoutMs: 5000 }),
      scoreVersion: 'v2',
      healthTtlMs: 86_400_000,
      catalogTtlMs: 0,
      retry: { attempts: 2 },
      sleep: async () => undefined,
    });
    const chat = createChatService({ db: t.db, root, answerer: createLlmAnswerer({ llm }), embedder });
    const before = await metricValue('cogo_chat_failures_total', {});
    const r = await chat.ask({ question: 'Where is sumAreas defined?' });
    expect(r.question.status).toBe('complete');
    expect(r.answer.status).toBe('failed');
    expect(r.answer.errorCode).toMatch(/^LLM_/);
    expect(r.outcome).toBeNull();
    expect(server.requests.filter((q) => q.model === 'm-dead')).toHaveLength(2);
    expect(await metricValue('cogo_chat_failures_total', {})).toBe(before + 1);
  });
});

describe('the chat summary over a time window', () => {
  it('counts questions, answers by status and answerer, revisions, latency and feedback from the tables', async () => {
    const t = await createMigratedDatabase('pglite', 'chat_summary');
    try {
      const root = await indexed(t);
      const chat = createChatService({ db: t.db, root, answerer: createBuiltinAnswerer(), embedder });
      const from = new Date(Date.now() - 60_000);
      const a = await chat.ask({ question: 'Who calls sumAreas?' });
      await chat.ask({ question: 'What does sumAreas return?' });
      await chat.feedback(a.answer.id, { rating: -1, comment: 'Name the files.' });
      await chat.feedback(a.answer.id, { rating: 1 });
      const s = await chatSummary(t.db, { from, to: new Date(Date.now() + 60_000) });
      expect(s.questions).toBe(2);
      expect(s.answers).toEqual({ pending: 0, streaming: 0, complete: 3, failed: 0 });
      expect(s.byAnswerer).toEqual({ builtin: 3 });
      expect(s.feedback).toEqual({ up: 1, down: 1, corrections: 1 });
      expect(s.latencyMs.p95).toBeGreaterThan(0);
      const empty = await chatSummary(t.db, { from: new Date(0), to: new Date(1000) });
      expect(empty.questions).toBe(0);
      expect(empty.latencyMs.p50).toBeNull();
    } finally {
      await t.dispose();
    }
  });
});
