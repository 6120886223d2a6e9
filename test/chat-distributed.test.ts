import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChatMessageRecord,
  type ChatWireEvent,
  chatChannel,
  createBuiltinAnswerer,
  createChatService,
  followAnswer,
  type LlmResponse,
  subscribeChatEvents,
} from '../src/chat/index.ts';
import { createPostgresDb, type Db } from '../src/db/index.ts';
import { indexRepository } from '../src/kg/index.ts';
import { createLocalEmbedder, indexSearch } from '../src/search/index.ts';
import { createGatewayApp } from '../src/services/gateway/index.ts';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { copyFixture } from './helpers/repos.ts';

const embedder = createLocalEmbedder();

async function readSse(res: Response): Promise<Array<{ event: string; data: unknown }>> {
  const text = await res.text();
  return text
    .split(/\n\n/)
    .filter((b) => b.trim().length > 0)
    .map((b) => {
      const lines = b.split('\n');
      return {
        event:
          lines
            .find((l) => l.startsWith('event:'))
            ?.slice(6)
            .trim() ?? 'message',
        data: JSON.parse(
          lines
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trimStart())
            .join('\n'),
        ) as unknown,
      };
    });
}

// A "worker" and a "gateway" on separate connections (pools, LISTEN connections) to one server
// database, as two processes would be; the queue between them is a plain callback here.
describe('an answer given by a worker connection and streamed by a gateway connection', () => {
  let t: TestDatabase;
  let root: string;
  let workerDb: Db;
  const worker = () => createChatService({ db: workerDb, root, answerer: createBuiltinAnswerer(), embedder });

  beforeAll(async () => {
    t = await createMigratedDatabase('postgres', 'chat_dist');
    root = copyFixture('ts-basic');
    await indexRepository(t.db, { root, maxFileBytes: 1_000_000, full: true });
    await indexSearch(t.db, { root, embedder, maxFileBytes: 1_000_000 });
    workerDb = await createPostgresDb({ connectionString: t.url! });
  });
  afterAll(async () => {
    await workerDb?.close();
    await t?.dispose();
  });

  it('publishes every event in order on the message channel, then final', async () => {
    const gatewaySide = createChatService({ db: t.db, root, answerer: createBuiltinAnswerer(), embedder });
    const { answer } = await gatewaySide.submit({ question: 'Who calls sumAreas?' });
    const events: ChatWireEvent[] = [];
    let gaps = 0;
    const sub = await subscribeChatEvents(t.db, answer.id, {
      onEvent: (e) => events.push(e),
      onGap: () => gaps++,
    });
    const done = await worker().answerPublished(answer.id);
    const t0 = Date.now();
    while (!events.some((e) => e.type === 'final') && Date.now() - t0 < 10_000)
      await new Promise((r) => setTimeout(r, 20));
    await sub.close();
    expect(gaps).toBe(0);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)!.type).toBe('final');
    const text = events
      .filter((e) => e.type === 'delta')
      .map((e) => e.data.text)
      .join('');
    expect(text).toBe(done.answer.content);
  });

  it('takes a notice that is not a chat.event envelope of the message as a gap, not an event', async () => {
    const side = createChatService({ db: t.db, root, answerer: createBuiltinAnswerer(), embedder });
    const { answer } = await side.submit({ question: 'Who calls sumAreas?' });
    const events: ChatWireEvent[] = [];
    let gaps = 0;
    const sub = await subscribeChatEvents(t.db, answer.id, {
      onEvent: (e) => events.push(e),
      onGap: () => gaps++,
    });
    const channel = chatChannel(answer.id);
    await workerDb.query('select pg_notify($1, $2)', [
      channel,
      '{"seq":1,"type":"delta","data":{"text":"x"}}',
    ]);
    await workerDb.query('select pg_notify($1, $2)', [channel, 'not json']);
    const t0 = Date.now();
    while (gaps < 2 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
    await sub.close();
    expect(gaps).toBe(2);
    expect(events).toEqual([]);
  });

  it('streams a worker’s answer over SSE from the gateway, with the stored row as final', async () => {
    const dispatched: string[] = [];
    const app = createGatewayApp({
      db: t.db,
      embedder,
      chat: createChatService({ db: t.db, root, answerer: createBuiltinAnswerer(), embedder }),
      dispatchChat: async (id) => {
        dispatched.push(id);
        void worker().answerPublished(id);
      },
    });
    const session = (
      (await (await app.request('/api/chat/sessions', { method: 'POST' })).json()) as {
        result: { id: string };
      }
    ).result;
    const res = await app.request(`/api/chat/sessions/${session.id}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'What does sumAreas return?' }),
    });
    const events = await readSse(res);
    expect(events[0]!.event).toBe('start');
    const final = events.at(-1)!;
    expect(final.event).toBe('final');
    const { message, response } = final.data as { message: ChatMessageRecord; response: LlmResponse };
    expect(dispatched).toEqual([message.id]);
    expect(message.status).toBe('complete');
    expect(response.answer).toMatch(/Promise<number>/);
    const streamed = events
      .filter((e) => e.event === 'delta')
      .map((e) => (e.data as { text: string }).text)
      .join('');
    expect(streamed).toBe(response.answer);
  });

  it('finds the final row by reading it when no notice arrives (a worker that never publishes)', async () => {
    const side = createChatService({ db: t.db, root, answerer: createBuiltinAnswerer(), embedder });
    const { answer } = await side.submit({ question: 'Where is Circle defined?' });
    const final = await followAnswer(t.db, answer.id, () => side.message(answer.id), {
      pollMs: 50,
      timeoutMs: 10_000,
      // Answered without publishing: nothing arrives on the channel.
      onListening: async () => {
        await worker().answer(answer.id);
      },
    });
    expect(final.status).toBe('complete');
    await expect(
      followAnswer(
        t.db,
        (await side.submit({ question: 'x?' })).answer.id,
        async () => ({ status: 'pending' }),
        {
          pollMs: 20,
          timeoutMs: 200,
        },
      ),
    ).rejects.toThrow(/no final answer within 200 ms/);
  });
});
