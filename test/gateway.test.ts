import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/core/index.ts';
import { indexRepository } from '../src/kg/index.ts';
import { createLocalEmbedder, DEFAULT_FUSION, indexSearch, type SearchResult } from '../src/search/index.ts';
import { createGatewayApp, startGateway } from '../src/services/gateway/index.ts';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { copyFixture } from './helpers/repos.ts';

type Envelope<T> = { ok: true; result: T } | { ok: false; error: { code: string; message: string } };

const embedder = createLocalEmbedder();
let t: TestDatabase;
let app: ReturnType<typeof createGatewayApp>;

beforeAll(async () => {
  t = await createMigratedDatabase('pglite');
  const root = copyFixture('ts-basic');
  await indexRepository(t.db, { root, maxFileBytes: 1_000_000 });
  const report = await indexSearch(t.db, { root, embedder, maxFileBytes: 1_000_000 });
  expect(report.chunks.total).toBeGreaterThan(0);
  app = createGatewayApp({ db: t.db, embedder });
});

afterAll(async () => {
  await t?.dispose();
});

async function getJson<T>(path: string): Promise<{ status: number; body: Envelope<T> }> {
  const res = await app.request(path);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: res.status, body: (await res.json()) as Envelope<T> };
}

async function search(query: string): Promise<SearchResult> {
  const { status, body } = await getJson<SearchResult>(`/api/search/code?${query}`);
  expect(status).toBe(200);
  if (!body.ok) throw new Error(`search failed: ${JSON.stringify(body.error)}`);
  return body.result;
}

describe('GET /api/search/code', () => {
  it('returns the sumAreas function first with its location, tags, score breakdown and vector path', async () => {
    const result = await search('q=sumAreas');
    const top = result.hits[0]!;
    expect(top).toMatchObject({ name: 'sumAreas', path: 'src/util.ts', kind: 'function' });
    expect(top.startLine).toBeGreaterThan(0);
    expect(top.endLine).toBeGreaterThanOrEqual(top.startLine);
    expect(top.tags).toEqual(expect.arrayContaining(['lang:ts', 'exported']));
    expect(top.signature).toContain('sumAreas');
    expect(top.snippet).toContain('sumAreas');
    expect(top.scores.name?.match).toBe('exact');
    expect(top.scores.fused).toBe(top.score);
    expect(result.vectorPath).toBe('pgvector-hnsw');
    expect(result.model).toBe(embedder.model);
    expect(result.fusion).toBe(DEFAULT_FUSION);
  });

  it('narrows hits to the requested kind, path and tags', async () => {
    const all = await search('q=area&limit=50');
    expect(new Set(all.hits.map((h) => h.kind)).size).toBeGreaterThan(1);

    const methods = await search('q=area&kind=method&limit=50');
    expect(methods.hits.length).toBeGreaterThan(0);
    expect(methods.hits.every((h) => h.kind === 'method')).toBe(true);

    const inShapes = await search('q=area&path=src/shapes.ts&limit=50');
    expect(inShapes.hits.length).toBeGreaterThan(0);
    expect(inShapes.hits.every((h) => h.path === 'src/shapes.ts')).toBe(true);
    expect(all.hits.some((h) => h.path !== 'src/shapes.ts')).toBe(true);

    const asyncOnes = await search('q=area&tag=async&tag=exported&limit=50');
    expect(asyncOnes.hits.map((h) => h.name)).toEqual(['sumAreas']);
  });

  it('honours limit, lang and fusion', async () => {
    const two = await search('q=area&limit=2&fusion=rrf');
    expect(two.hits).toHaveLength(2);
    expect(two.fusion).toBe('rrf');
    const py = await search('q=sumAreas&lang=py');
    expect(py.hits).toEqual([]);
  });

  it.each([
    ['', 'q'],
    ['q=', 'q'],
    [`q=${'x'.repeat(501)}`, 'q'],
    ['q=a&limit=0', 'limit'],
    ['q=a&limit=101', 'limit'],
    ['q=a&limit=ten', 'limit'],
    ['q=a&fusion=max', 'fusion'],
    ['q=a&lang=,', 'lang'],
    ['q=a&colour=red', 'colour'],
  ])('rejects "%s" with a 400 INVALID_REQUEST naming %s', async (query, param) => {
    const { status, body } = await getJson(`/api/search/code?${query}`);
    expect(status).toBe(400);
    expect(body.ok).toBe(false);
    if (body.ok) return;
    expect(body.error.code).toBe('INVALID_REQUEST');
    expect(body.error.message).toContain(param);
  });
});

describe('docs/specs/SEARCH_V1.md', () => {
  it('shows a response of the shape the endpoint returns, with the same first hit', async () => {
    const doc = readFileSync(new URL('../docs/specs/SEARCH_V1.md', import.meta.url), 'utf8');
    const block = /<!-- example: search-response -->\s*```json\n([\s\S]*?)\n```/.exec(doc);
    expect(block).not.toBeNull();
    const example = JSON.parse(block![1]!) as {
      result: { query: string; fusion: string; hits: Array<Record<string, unknown>> };
    };
    const res = await app.request(`/api/search/code?q=${example.result.query}&limit=1`);
    const live = (await res.json()) as typeof example;
    const shape = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.length > 0 && typeof v[0] === 'object'
          ? [shape(v[0])]
          : 'array'
        : v !== null && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v)
                .map(([k, x]): [string, unknown] => [k, shape(x)])
                .sort(([a], [b]) => (a < b ? -1 : 1)),
            )
          : typeof v;
    expect(shape(live)).toEqual(shape(example));
    const stable = [
      'id',
      'objectId',
      'path',
      'startLine',
      'endLine',
      'kind',
      'symbol',
      'signature',
      'tags',
      'snippet',
    ];
    const pick = (h: Record<string, unknown> | undefined) =>
      Object.fromEntries(stable.map((k) => [k, h?.[k]]));
    expect(pick(live.result.hits[0])).toEqual(pick(example.result.hits[0]));
    expect(live.result.fusion).toBe(example.result.fusion);
  });
});

describe('gateway routes', () => {
  it('answers an unknown route with 404 NOT_FOUND', async () => {
    const { status, body } = await getJson('/api/nope');
    expect(status).toBe(404);
    expect(body).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
  });

  it('reports health after querying the database', async () => {
    const { status, body } = await getJson('/healthz');
    expect(status).toBe(200);
    expect(body).toEqual({ ok: true, result: { status: 'ok' } });
  });

  it('exposes request metrics by route pattern in the Prometheus text format', async () => {
    await app.request('/healthz');
    await app.request('/no/such/route');
    // A second app in the same process reuses the registered metrics instead of throwing.
    expect(() => createGatewayApp({ db: t.db })).not.toThrow();
    const res = await app.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('cogo_http_requests_total');
    expect(text).toMatch(/cogo_http_requests_total\{route="\/healthz",method="GET",status="200"\} \d+/);
    expect(text).toMatch(/cogo_http_requests_total\{route="unmatched",method="GET",status="404"\} \d+/);
    expect(text).toMatch(
      /cogo_http_request_duration_seconds_count\{route="\/api\/search\/code",method="GET"\} \d+/,
    );
    // The search subsystem's own metrics, from the queries above and the index run in beforeAll.
    expect(text).toMatch(
      /cogo_search_query_duration_seconds_count\{fusion="weighted",vector_path="pgvector-hnsw"\} [1-9]\d*/,
    );
    expect(text).toMatch(
      new RegExp(`cogo_search_chunks_embedded_total\\{model="${embedder.model}"\\} [1-9]\\d*`),
    );
  });
});

describe('gateway over a socket', () => {
  it('serves search on a real port and closes', async () => {
    const gateway = await startGateway({ app, port: 0 });
    try {
      expect(gateway.port).toBeGreaterThan(0);
      const res = await fetch(`http://127.0.0.1:${gateway.port}/api/search/code?q=sumAreas&limit=3`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as Envelope<SearchResult>;
      expect(body.ok).toBe(true);
      if (body.ok) expect(body.result.hits[0]).toMatchObject({ name: 'sumAreas', path: 'src/util.ts' });
    } finally {
      await gateway.close();
    }
    await expect(fetch(`http://127.0.0.1:${gateway.port}/healthz`)).rejects.toThrow();
  });

  it('rejects when the port is taken', async () => {
    const first = await startGateway({ app, port: 0 });
    try {
      await expect(startGateway({ app, port: first.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await first.close();
    }
  });
});

describe('gateway with a closed database', () => {
  it('answers health with 503 and search with a coded 500 that leaks no SQL, logging the details', async () => {
    const closed = await createMigratedDatabase('pglite', 'gateway-closed');
    const lines: string[] = [];
    const logger = createLogger({
      level: 'warn',
      destination: new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    });
    const broken = createGatewayApp({ db: closed.db, logger });
    await closed.db.close();

    const health = await broken.request('/healthz');
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ ok: false, error: { code: 'DB_UNAVAILABLE' } });

    const res = await broken.request('/api/search/code?q=sumAreas');
    expect(res.status).toBe(500);
    const raw = await res.text();
    const body = JSON.parse(raw) as Envelope<never>;
    expect(body.ok).toBe(false);
    if (body.ok) return;
    expect(body.error).toEqual({ code: 'DB_QUERY_FAILED', message: 'A database query failed.' });
    expect(raw).not.toMatch(/select|search_chunks|\bin:|stack|at /i);
    expect(lines.join('')).toMatch(/request failed/);
    expect(lines.join('')).toMatch(/"stack"/);
  });

  it('answers an unexpected error with a generic 500 INTERNAL', async () => {
    const failing = createGatewayApp({
      db: {
        dialect: 'pglite',
        query: () => Promise.reject(new TypeError('secret detail at /home/x.ts:1')),
        exec: () => Promise.resolve(),
        transaction: () => Promise.reject(new Error('unused')),
        listen: () => Promise.reject(new Error('unused')),
        close: () => Promise.resolve(),
      },
    });
    const res = await failing.request('/api/search/code?q=sumAreas');
    expect(res.status).toBe(500);
    const raw = await res.text();
    expect(JSON.parse(raw)).toEqual({
      ok: false,
      error: { code: 'INTERNAL', message: 'Internal server error.' },
    });
    expect(raw).not.toContain('secret');
  });
});
