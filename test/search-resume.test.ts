import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexRepository } from '../src/kg/index.ts';
import { createLocalEmbedder, createOpenAICompatibleEmbedder, indexSearch } from '../src/search/index.ts';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { copyFixture } from './helpers/repos.ts';

const DIM = 8;

/** A /v1/embeddings server (the OpenAI wire format) that can be told to fail from the nth request on. */
function embeddingServer() {
  const state = { requests: 0, failFrom: Number.POSITIVE_INFINITY, texts: 0 };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      state.requests++;
      if (state.requests >= state.failFrom) {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'input rejected', type: 'invalid_request_error' } }));
        return;
      }
      const { input, model } = JSON.parse(body) as { input: string[]; model: string };
      state.texts += input.length;
      const data = input.map((text, index) => {
        const digest = createHash('sha256').update(text).digest();
        const v = Array.from({ length: DIM }, (_, i) => digest[i]! / 255 - 0.5);
        const norm = Math.hypot(...v) || 1;
        return { object: 'embedding', index, embedding: v.map((x) => x / norm) };
      });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data, model, usage: { prompt_tokens: 1, total_tokens: 1 } }));
    });
  });
  return { server, state };
}

describe('embedding runs that stop part-way', () => {
  let t: TestDatabase;
  let root: string;
  const { server, state } = embeddingServer();
  let baseUrl: string;

  beforeAll(async () => {
    t = await createMigratedDatabase('pglite');
    root = copyFixture('ts-basic');
    await indexRepository(t.db, { root, maxFileBytes: 1_000_000 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await t?.dispose();
  });

  it('keeps the batches written before a provider failure and embeds only the rest when run again', async () => {
    const embedder = createOpenAICompatibleEmbedder({
      baseUrl,
      model: 'test-embed',
      dimension: DIM,
      maxRetries: 0,
      batchSize: 5,
    });
    state.failFrom = 3;
    const first = await indexSearch(t.db, { root, embedder, maxFileBytes: 1_000_000, embedBatchSize: 5 });
    expect(first.embeddings).toMatchObject({
      embedded: 10,
      current: 10,
      error: expect.stringMatching(/400/),
    });
    const total = first.chunks.total;
    state.failFrom = Number.POSITIVE_INFINITY;
    state.texts = 0;
    const second = await indexSearch(t.db, { root, embedder, maxFileBytes: 1_000_000, embedBatchSize: 5 });
    expect(second.embeddings).toMatchObject({ embedded: total - 10, current: total });
    expect(second.embeddings.error).toBeUndefined();
    expect(state.texts).toBe(total - 10);
  });

  it('re-embeds everything for a new model, and nothing for the model already current', async () => {
    const again = await indexSearch(t.db, {
      root,
      embedder: createOpenAICompatibleEmbedder({ baseUrl, model: 'test-embed', dimension: DIM }),
      maxFileBytes: 1_000_000,
    });
    expect(again.embeddings.embedded).toBe(0);
    const local = await indexSearch(t.db, {
      root,
      embedder: createLocalEmbedder({ dimension: 64, codeModel: false }),
      maxFileBytes: 1_000_000,
    });
    expect(local.embeddings).toMatchObject({
      model: 'cogo-local-hash-v1-64',
      embedded: local.chunks.total,
      current: local.chunks.total,
    });
    const { rows } = await t.db.query<{ model: string; n: number }>(
      'select model, count(*)::int as n from cbo_embeddings group by model order by model',
    );
    expect(rows).toEqual([
      { model: 'cogo-local-hash-v1-64', n: local.chunks.total },
      { model: 'test-embed', n: local.chunks.total },
    ]);
  });
});
