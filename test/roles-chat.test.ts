import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessageRecord, LlmResponse } from '../src/chat/index.ts';
import { indexRepository } from '../src/kg/index.ts';
import { createLocalEmbedder, indexSearch } from '../src/search/index.ts';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { applyLocalChatCatalog, citationOfSymbol, contractReply } from './helpers/llm-replies.ts';
import { type LlmTestServer, startLlmTestServer } from './helpers/llm-server.ts';
import { askOverHttp, openChatSession, type RoleProcess, startRole } from './helpers/processes.ts';
import { copyFixture } from './helpers/repos.ts';

// The gateway and a chat worker as separate processes on one server database: the gateway stores
// the question and enqueues a chat.answer job; the worker claims it, answers, and its events reach
// the gateway's SSE stream over LISTEN/NOTIFY.
describe('chat through a gateway process and a chat worker process', () => {
  let t: TestDatabase;
  let root: string;
  const running: RoleProcess[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    t = await createMigratedDatabase('postgres', 'roles_chat');
    root = copyFixture('ts-basic');
    await indexRepository(t.db, { root, maxFileBytes: 1_000_000, full: true });
    await indexSearch(t.db, { root, embedder: createLocalEmbedder(), maxFileBytes: 1_000_000 });
    env = {
      DATABASE_URL: t.url!,
      CHAT_ANSWERER: 'builtin',
      CHAT_EXECUTION: 'queue',
      JOBS_LEASE_CHECK_SECONDS: '1',
    };
  });
  /** Stops every role a test started (they share the database with the next test's roles). */
  const stopAll = async () => {
    for (const p of running.splice(0)) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  };
  afterAll(async () => {
    await stopAll();
    await t?.dispose();
  });

  it('answers over SSE with the worker’s streamed deltas, records the job, and both drain on SIGTERM', async () => {
    const worker = await startRole(['--repo', root, 'worker', 'chat', '--port', '0'], env);
    const gateway = await startRole(['--repo', root, 'gateway', '--port', '0'], env);
    running.push(worker, gateway);
    const health = (await (await fetch(`${worker.url}/healthz`)).json()) as { result: { role: string } };
    expect(health.result.role).toBe('worker-chat');

    const session = { id: await openChatSession(gateway.url) };
    const question = 'Who calls sumAreas?';
    const events = await askOverHttp(gateway.url, session.id, question);
    const final = events.at(-1)!;
    expect(final.event).toBe('final');
    const { message, response } = final.data as { message: ChatMessageRecord; response: LlmResponse };
    expect(message.status).toBe('complete');
    expect(response.citations.map((c) => c.path)).toContain('src/main.ts');
    const streamed = events
      .filter((e) => e.event === 'delta')
      .map((e) => (e.data as { text: string }).text)
      .join('');
    expect(streamed).toBe(response.answer);

    // The job settles just after the final event is published.
    const job = async () =>
      (
        await t.db.query<{ state: string; attempt: number }>(
          `select state, attempt from cogo_jobs where queue = 'chat.answer' and envelope->'payload'->>'messageId' = $1`,
          [message.id],
        )
      ).rows;
    const t0 = Date.now();
    while ((await job())[0]?.state !== 'succeeded' && Date.now() - t0 < 10_000)
      await new Promise((r) => setTimeout(r, 50));
    expect(await job()).toEqual([{ state: 'succeeded', attempt: 1 }]);

    worker.child.kill('SIGTERM');
    gateway.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(await gateway.exited).toBe(0);
  });

  it('finishes an answer whose worker was killed mid-stream: taken over after the lease, one message, complete', async () => {
    const server: LlmTestServer = await startLlmTestServer();
    try {
      await applyLocalChatCatalog(t.db, server.url, ['m1']);
      const answer =
        'The function sumAreas adds up the area of every shape it is given, starting from start, and then adds the extra numbers.';
      // Streamed word by word, 120 ms apart: about 2.5 s, long enough to kill the worker in the middle
      // and shorter than the 6 s lease the second worker has for its whole answer.
      server.script('m1', [
        {
          reply: '',
          deltaDelayMs: 120,
          json: contractReply(answer, [await citationOfSymbol(t.db, 'sumAreas')]),
        },
      ]);
      const llmEnv = { ...env, CHAT_ANSWERER: 'llm', CHAT_LEASE_SECONDS: '6' };
      const first = await startRole(['--repo', root, 'worker', 'chat', '--port', '0'], llmEnv);
      const gateway = await startRole(['--repo', root, 'gateway', '--port', '0'], llmEnv);
      running.push(first, gateway);
      const session = { id: await openChatSession(gateway.url) };
      const question = 'What does sumAreas do?';
      let second: Promise<RoleProcess> | undefined;
      const events = await askOverHttp(gateway.url, session.id, question, (e) => {
        if (e.event === 'delta' && !second) {
          first.child.kill('SIGKILL');
          second = startRole(['--repo', root, 'worker', 'chat', '--port', '0'], llmEnv);
        }
      });
      running.push(await second!);
      expect(await first.exited).toBeNull();
      const final = events.at(-1)!;
      expect(final.event).toBe('final');
      const { message, response } = final.data as { message: ChatMessageRecord; response: LlmResponse };
      expect({ status: message.status, error: message.errorMessage }).toEqual({
        status: 'complete',
        error: null,
      });
      expect(response.answer).toBe(answer);
      expect(events.some((e) => e.event === 'restart')).toBe(true);
      // Exactly one answer to the question, and the job's history: the lapse, then the takeover.
      const { rows: answers } = await t.db.query<{ n: number }>(
        `select count(*)::int as n from chat_messages where session_id = $1 and role = 'assistant'`,
        [session.id],
      );
      expect(answers[0]!.n).toBe(1);
      const { rows: history } = await t.db.query<{
        to_state: string;
        reason: string | null;
        attempt: number;
      }>(
        `select e.to_state, e.reason, e.attempt from job_events e join cogo_jobs j on j.id = e.job_id
          where j.envelope->'payload'->>'messageId' = $1 and e.kind = 'transition' order by e.id`,
        [message.id],
      );
      const t0 = Date.now();
      while (!history.some((h) => h.to_state === 'succeeded') && Date.now() - t0 < 10_000) {
        await new Promise((r) => setTimeout(r, 100));
        history.splice(
          0,
          history.length,
          ...(
            await t.db.query<{ to_state: string; reason: string | null; attempt: number }>(
              `select e.to_state, e.reason, e.attempt from job_events e join cogo_jobs j on j.id = e.job_id
                where j.envelope->'payload'->>'messageId' = $1 and e.kind = 'transition' order by e.id`,
              [message.id],
            )
          ).rows,
        );
      }
      expect(history).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ to_state: 'failed', reason: 'TIMEOUT', attempt: 1 }),
          expect.objectContaining({ to_state: 'succeeded', attempt: 2 }),
        ]),
      );
      expect(server.requests.filter((r) => r.model === 'm1')).toHaveLength(2);
    } finally {
      await server.close();
      await stopAll();
    }
  });

  it('drains on SIGTERM mid-answer: the answer it holds completes, then the worker exits 0', async () => {
    const server: LlmTestServer = await startLlmTestServer();
    try {
      await applyLocalChatCatalog(t.db, server.url, ['m1']);
      const answer =
        'sumAreas adds the areas of the shapes it is given and the extra numbers after them, in order.';
      server.script('m1', [
        {
          reply: '',
          deltaDelayMs: 100,
          json: contractReply(answer, [await citationOfSymbol(t.db, 'sumAreas')]),
        },
      ]);
      const llmEnv = { ...env, CHAT_ANSWERER: 'llm' };
      const worker = await startRole(['--repo', root, 'worker', 'chat', '--port', '0'], llmEnv);
      const gateway = await startRole(['--repo', root, 'gateway', '--port', '0'], llmEnv);
      running.push(worker, gateway);
      const session = { id: await openChatSession(gateway.url) };
      const question = 'What does sumAreas do?';
      let signalled = false;
      let draining: number | undefined;
      const events = await askOverHttp(gateway.url, session.id, question, (e) => {
        if (e.event !== 'delta' || signalled) return;
        signalled = true;
        worker.child.kill('SIGTERM');
        // Shortly after the signal, while the held answer still streams, the worker says it is draining.
        void new Promise((r) => setTimeout(r, 300))
          .then(() => fetch(`${worker.url}/healthz`))
          .then(
            (h) => {
              draining = h.status;
            },
            () => undefined,
          );
      });
      const final = events.at(-1)!.data as { message: ChatMessageRecord; response: LlmResponse };
      expect({ status: final.message.status, error: final.message.errorMessage }).toEqual({
        status: 'complete',
        error: null,
      });
      expect(final.response.answer).toBe(answer);
      expect(events.some((e) => e.event === 'restart')).toBe(false);
      expect(await worker.exited).toBe(0);
      expect(draining).toBe(503);
      gateway.child.kill('SIGTERM');
      await gateway.exited;
    } finally {
      await server.close();
    }
  });
});
