// The index saga in one process on both databases: an index request becomes a saga run by the
// orchestrator (extract -> embed -> finalize), the graph equals a clean run, unchanged content is
// skipped, a step run twice changes nothing, and a dead embed marks the request failed while the
// graph stays as a clean run leaves it. POST /api/index records requests.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvelopeRegistry, type MessageType } from '../src/core/index.ts';
import {
  createJobs,
  createSagas,
  JobFailure,
  type Jobs,
  type Sagas,
  sagaStepKey,
  withSagaPolicy,
} from '../src/jobs/index.ts';
import {
  IndexOrchestrator,
  type IndexRequest,
  indexRepository,
  indexSaga,
  indexSagaHandlers,
  requestIndex,
  selectIndexRequest,
} from '../src/kg/index.ts';
import { createLocalEmbedder, indexSearch } from '../src/search/index.ts';
import { createGatewayApp } from '../src/services/gateway/index.ts';
import { ADAPTERS, createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { copyFixture, snapshotGraph } from './helpers/repos.ts';
import { waitFor } from './helpers/wait.ts';

const MAX = 1_000_000;
const saga = withSagaPolicy(indexSaga, { retryDelaySeconds: 1, retryDelayMaxSeconds: 1, maxAttempts: 2 });

describe.each(ADAPTERS)('the index saga (%s)', (adapter) => {
  let t: TestDatabase;
  let jobs: Jobs;
  let sagas: Sagas;
  let orchestrator: IndexOrchestrator;
  let root: string;
  let embedFails = false;
  let extractFails = false;
  let clean: Awaited<ReturnType<typeof snapshotGraph>>;

  beforeAll(async () => {
    root = copyFixture('ts-basic');
    const reference = await createMigratedDatabase(adapter, 'index_saga_ref');
    await indexRepository(reference.db, { root, maxFileBytes: MAX, full: true });
    clean = await snapshotGraph(reference.db);
    await reference.dispose();

    t = await createMigratedDatabase(adapter, 'index_saga');
    jobs = await createJobs({ db: t.db, leaseCheckIntervalSeconds: 1 });
    sagas = createSagas({ db: t.db, jobs });
    await sagas.register(saga);
    const handlers = indexSagaHandlers({
      db: t.db,
      maxFileBytes: MAX,
      embed: async (db, r) => {
        if (embedFails) throw new JobFailure('PROVIDER_UNAVAILABLE', 'embedding provider down');
        return indexSearch(db, { root: r, embedder: createLocalEmbedder(), maxFileBytes: MAX });
      },
    });
    const extract = handlers.steps.extract!;
    const steps = {
      ...handlers.steps,
      extract: async (c: Parameters<typeof extract>[0]) => {
        if (extractFails) throw new JobFailure('PARSE_ERROR', 'the tsconfig cannot be parsed');
        return extract(c);
      },
    };
    sagas.work(saga, { ...handlers, steps }, { pollIntervalMs: 50 });
    orchestrator = new IndexOrchestrator({ db: t.db, sagas, saga, maxFileBytes: MAX });
  });
  afterAll(async () => {
    await jobs?.stop();
    await t?.dispose();
  });

  async function run(requestId: string, full = false): Promise<IndexRequest> {
    const { created } = await requestIndex(t.db, { root, full, requestId, source: 'test' });
    expect(created).toBe(true);
    return waitFor(`request ${requestId}`, async () => {
      await orchestrator.tick();
      const r = await selectIndexRequest(t.db, requestId);
      return r && ['succeeded', 'failed', 'unchanged'].includes(r.state) ? r : undefined;
    });
  }

  it('runs a request as extract -> embed -> finalize and leaves the graph a clean run leaves', async () => {
    const done = await run('req-1');
    expect(done.state).toBe('succeeded');
    expect(done.sagaId).toBeTruthy();
    expect(Object.keys(done.report).sort()).toEqual(['coverage', 'graph', 'search']);
    expect(await snapshotGraph(t.db)).toEqual(clean);
    const { rows } = await t.db.query<{ n: number }>('select count(*)::int as n from search_chunks');
    expect(rows[0]!.n).toBeGreaterThan(0);
    const steps = await t.db.query<{ queue: string; correlation_id: string }>(
      `select queue, correlation_id from cogo_jobs where envelope->'payload'->>'sagaId' = $1 order by created_at`,
      [done.sagaId],
    );
    expect(steps.rows).toEqual(
      ['index.extract', 'index.embed', 'index.finalize'].map((queue) => ({ queue, correlation_id: 'req-1' })),
    );
  });

  it('records a request for unchanged content as unchanged, and runs a full one anyway', async () => {
    expect((await run('req-2')).state).toBe('unchanged');
    expect((await run('req-3', true)).state).toBe('succeeded');
    expect(await snapshotGraph(t.db)).toEqual(clean);
  });

  it('changes nothing when a step runs a second time (a retry or a takeover)', async () => {
    const handlers = indexSagaHandlers({ db: t.db, maxFileBytes: MAX, embed: async () => null });
    const context = { sagaId: 'x', input: { root, full: true, requestId: 'req-3' }, outputs: {} } as never;
    await handlers.steps.extract!(context);
    await handlers.steps.extract!(context);
    expect(await snapshotGraph(t.db)).toEqual(clean);
  });

  it('marks the request failed when embed goes dead, by the compensation of extract, and keeps the graph', async () => {
    embedFails = true;
    try {
      const failed = await run('req-4', true);
      expect(failed.state).toBe('failed');
      expect(failed.error).toContain('failed after extract');
      // The compensation records the request before it completes (and the saga becomes compensated).
      const s = await waitFor('the saga to be compensated', async () => {
        const record = await sagas.get(failed.sagaId!);
        return record?.state === 'compensated' ? record : undefined;
      });
      expect(s).toMatchObject({ failedStep: 'embed', compensated: ['extract'] });
      expect(await snapshotGraph(t.db)).toEqual(clean);
    } finally {
      embedFails = false;
    }
  });

  it('marks the request failed when extract goes dead: the orchestrator sees the saga end with nothing to undo', async () => {
    extractFails = true;
    try {
      const failed = await run('req-5', true);
      expect(failed.state).toBe('failed');
      expect(failed.error).toContain('index saga compensated at extract');
      expect(failed.error).toContain('the tsconfig cannot be parsed');
      expect(await sagas.get(failed.sagaId!)).toMatchObject({ state: 'compensated', compensated: [] });
      expect(await snapshotGraph(t.db)).toEqual(clean);
    } finally {
      extractFails = false;
    }
  });

  it('accepts requests on POST /api/index and reports them on GET /api/index/:id', async () => {
    const app = createGatewayApp({ db: t.db, indexRoot: root });
    const post = await app.request('/api/index', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requestId: 'http-1', full: true }),
    });
    expect(post.status).toBe(202);
    const body = (await post.json()) as { ok: boolean; result: { created: boolean; request: IndexRequest } };
    expect(body).toMatchObject({
      ok: true,
      result: { created: true, request: { id: 'http-1', state: 'pending', full: true } },
    });
    const again = await app.request('/api/index', {
      method: 'POST',
      body: JSON.stringify({ requestId: 'http-1' }),
    });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { result: { created: boolean } }).result.created).toBe(false);
    const bad = await app.request('/api/index', { method: 'POST', body: JSON.stringify({ root: '/etc' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('INVALID_REQUEST');
    const got = await app.request('/api/index/http-1');
    expect(((await got.json()) as { result: IndexRequest }).result.state).toBe('pending');
    expect((await app.request('/api/index/nope')).status).toBe(404);
    // Leave no pending request behind for the orchestrator of other tests.
    await t.db.query("update index_requests set state = 'failed' where id = 'http-1'");
  });
});

describe('docs/specs/MESSAGE_SCHEMA_V1.md', () => {
  it('shows an index.embed step envelope that a reader with the index saga registered accepts', () => {
    const spec = readFileSync(new URL('../docs/specs/MESSAGE_SCHEMA_V1.md', import.meta.url), 'utf8');
    const block = /<!-- example: envelope index\.embed -->\s*```json\n([\s\S]*?)\n```/.exec(spec);
    expect(block).not.toBeNull();
    const registry = new EnvelopeRegistry();
    for (const step of indexSaga.steps) registry.register(step.job.messageType as MessageType<unknown>);
    const envelope = registry.parse(JSON.parse(block![1]!));
    expect(envelope.type).toBe('index.embed');
    expect(envelope.idempotency_key).toBe(
      sagaStepKey((envelope.payload as { sagaId: string }).sagaId, 'embed'),
    );
  });
});
