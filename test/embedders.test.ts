import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRetryAfterMs } from '../src/core/index.ts';
import { EmbeddingError } from '../src/search/errors.ts';
import {
  createOpenAICompatibleEmbedder,
  type OpenAICompatibleEmbedderOptions,
} from '../src/search/openai-compatible-embedder.ts';

const DIMENSION = 4;
const API_KEY = 'sk-test-4f9a2c7e1b8d6053';

interface EmbeddingRequest {
  readonly model: string;
  readonly input: string[];
  readonly encoding_format: string;
}

interface RecordedRequest {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly authorization: string | undefined;
  readonly body: EmbeddingRequest;
}

/** Answers request number `n` (1-based); `undefined` means "answer normally". */
type Handler = (request: RecordedRequest, response: ServerResponse, n: number) => boolean | undefined;

interface FakeServer {
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
}

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A vector that says which text it came from: [length, first char code, n-th request, 1]. */
function vectorFor(text: string, n: number): number[] {
  return [text.length, text.charCodeAt(0) || 0, n, 1];
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

function embeddingsBody(items: { index: number; embedding: number[] }[], model: string): unknown {
  return {
    object: 'list',
    data: items.map((item) => ({ object: 'embedding', ...item })),
    model,
    usage: { prompt_tokens: items.length, total_tokens: items.length },
  };
}

function answer(response: ServerResponse, request: RecordedRequest, n: number): void {
  const items = request.body.input.map((text, index) => ({ index, embedding: vectorFor(text, n) }));
  sendJson(response, 200, embeddingsBody(items, request.body.model));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A real HTTP server on 127.0.0.1 speaking the OpenAI embeddings wire protocol. */
async function startServer(handler: Handler = () => undefined): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    const request: RecordedRequest = {
      method: req.method,
      url: req.url,
      authorization: req.headers.authorization,
      body: JSON.parse(await readBody(req)) as EmbeddingRequest,
    };
    requests.push(request);
    if (handler(request, res, requests.length) === undefined) answer(res, request, requests.length);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}/v1`, requests };
}

function embedderFor(server: { baseUrl: string }, options: Partial<OpenAICompatibleEmbedderOptions> = {}) {
  return createOpenAICompatibleEmbedder({
    baseUrl: server.baseUrl,
    apiKey: API_KEY,
    model: 'test-embed',
    dimension: DIMENSION,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 5,
    ...options,
  });
}

/** The URL of a port that was just free and is now closed: connecting is refused. */
async function closedPortUrl(): Promise<string> {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as AddressInfo;
  await new Promise((resolve) => closed.close(resolve));
  return `http://127.0.0.1:${port}/v1`;
}

async function embedError(promise: Promise<unknown>): Promise<EmbeddingError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EmbeddingError);
  return error as EmbeddingError;
}

/** Every message in an error's cause chain, and its stacks. */
function allErrorText(error: unknown): string {
  const parts: string[] = [];
  for (let current = error, depth = 0; current instanceof Error && depth < 8; depth++) {
    parts.push(String(current), current.message, current.stack ?? '');
    current = current.cause;
  }
  return parts.join('\n');
}

const TEXTS = ['a', 'bb', 'ccc', 'dddd', 'eeeee'];

describe('OpenAI-compatible embedder against a local /v1/embeddings server', () => {
  it('sends the OpenAI wire format with the key as a Bearer token', async () => {
    const server = await startServer();
    const vectors = await embedderFor(server).embed(['hello']);
    expect(vectors).toEqual([vectorFor('hello', 1)]);
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/v1/embeddings');
    expect(request?.authorization).toBe(`Bearer ${API_KEY}`);
    expect(request?.body).toEqual({ model: 'test-embed', input: ['hello'], encoding_format: 'float' });
  });

  it('splits inputs into batches of batchSize and keeps input order when the server shuffles its answer', async () => {
    const server = await startServer((request, response, n) => {
      const items = request.body.input.map((text, index) => ({ index, embedding: vectorFor(text, n) }));
      sendJson(response, 200, embeddingsBody(items.reverse(), request.body.model));
      return true;
    });
    const vectors = await embedderFor(server, { batchSize: 2 }).embed(TEXTS);
    expect(server.requests.map((r) => r.body.input)).toEqual([['a', 'bb'], ['ccc', 'dddd'], ['eeeee']]);
    expect(vectors).toEqual(TEXTS.map((text, i) => vectorFor(text, Math.floor(i / 2) + 1)));
  });

  it('returns [] for no texts without sending a request', async () => {
    const server = await startServer();
    expect(await embedderFor(server).embed([])).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });

  it('waits out a 429 with Retry-After: 0 and then succeeds, instead of its own (long) backoff', async () => {
    const server = await startServer((_request, response, n) => {
      if (n > 1) return undefined;
      sendJson(response, 429, { error: { message: 'slow down' } }, { 'retry-after': '0' });
      return true;
    });
    const started = Date.now();
    const vectors = await embedderFor(server, { retryBaseDelayMs: 10_000, retryMaxDelayMs: 10_000 }).embed([
      'x1',
    ]);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(vectors).toEqual([vectorFor('x1', 2)]);
    expect(server.requests).toHaveLength(2);
  });

  it('fails at once, retryable, when Retry-After asks for longer than maxRetryAfterMs', async () => {
    const server = await startServer((_request, response) => {
      sendJson(response, 429, { error: { message: 'quota' } }, { 'retry-after': '120' });
      return true;
    });
    const error = await embedError(embedderFor(server, { maxRetryAfterMs: 60_000 }).embed(['x']));
    expect(error.code).toBe('EMBEDDING_RATE_LIMITED');
    expect(error.status).toBe(429);
    expect(error.retryAfterMs).toBe(120_000);
    expect(error.isRetryable).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('retries 500 twice and then succeeds', async () => {
    const server = await startServer((_request, response, n) => {
      if (n > 2) return undefined;
      sendJson(response, 500, { error: { message: 'boom' } });
      return true;
    });
    const vectors = await embedderFor(server, { maxRetries: 3 }).embed(['abc']);
    expect(vectors).toEqual([vectorFor('abc', 3)]);
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry a 400 and reports EMBEDDING_HTTP_ERROR with the status', async () => {
    const server = await startServer((_request, response) => {
      sendJson(response, 400, { error: { message: 'input too long' } });
      return true;
    });
    const error = await embedError(embedderFor(server, { maxRetries: 3 }).embed(['x']));
    expect(error.code).toBe('EMBEDDING_HTTP_ERROR');
    expect(error.status).toBe(400);
    expect(error.isRetryable).toBe(false);
    expect(error.message).toContain('input too long');
    expect(server.requests).toHaveLength(1);
  });

  it('gives up on a persistent 503 after maxRetries retries, still marked retryable', async () => {
    const server = await startServer((_request, response) => {
      sendJson(response, 503, { error: { message: 'loading model' } });
      return true;
    });
    const error = await embedError(embedderFor(server, { maxRetries: 2 }).embed(['x']));
    expect(error.code).toBe('EMBEDDING_HTTP_ERROR');
    expect(error.status).toBe(503);
    expect(error.isRetryable).toBe(true);
    expect(error.message).toContain('after 3 attempts');
    expect(server.requests).toHaveLength(3);
  });

  it('rejects vectors of the wrong length with EMBEDDING_DIMENSION_MISMATCH naming both lengths', async () => {
    const server = await startServer((request, response) => {
      const items = request.body.input.map((_text, index) => ({ index, embedding: [1, 2, 3] }));
      sendJson(response, 200, embeddingsBody(items, request.body.model));
      return true;
    });
    const error = await embedError(embedderFor(server).embed(['x', 'y']));
    expect(error.code).toBe('EMBEDDING_DIMENSION_MISMATCH');
    expect(error.message).toMatch(/3-dimensional.*expected 4/);
    expect(error.isRetryable).toBe(false);
    expect(server.requests).toHaveLength(1);
  });

  it('rejects a body that is not JSON with EMBEDDING_BAD_RESPONSE, without retrying', async () => {
    const server = await startServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"object":"list","data":[{"index":0,');
      return true;
    });
    const error = await embedError(embedderFor(server).embed(['x']));
    expect(error.code).toBe('EMBEDDING_BAD_RESPONSE');
    expect(error.isRetryable).toBe(false);
    expect(server.requests).toHaveLength(1);
  });

  it('rejects an answer with the wrong number of embeddings with EMBEDDING_BAD_RESPONSE', async () => {
    const server = await startServer((request, response) => {
      sendJson(response, 200, embeddingsBody([{ index: 0, embedding: [1, 2, 3, 4] }], request.body.model));
      return true;
    });
    const error = await embedError(embedderFor(server).embed(['x', 'y', 'z']));
    expect(error.code).toBe('EMBEDDING_BAD_RESPONSE');
    expect(error.message).toContain('expected 3 embeddings, got 1');
  });

  it('times out a server that never answers with EMBEDDING_TIMEOUT', async () => {
    const server = await startServer(() => true);
    const started = Date.now();
    const error = await embedError(embedderFor(server, { timeoutMs: 200, maxRetries: 1 }).embed(['x']));
    expect(error.code).toBe('EMBEDDING_TIMEOUT');
    expect(error.isRetryable).toBe(true);
    expect(server.requests).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reports a refused connection as EMBEDDING_NETWORK after retrying', async () => {
    const error = await embedError(
      embedderFor({ baseUrl: await closedPortUrl() }, { maxRetries: 2 }).embed(['x']),
    );
    expect(error.code).toBe('EMBEDDING_NETWORK');
    expect(error.isRetryable).toBe(true);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain('after 3 attempts');
  });

  it('stops when the caller aborts, with the abort reason rather than an embedding error', async () => {
    const server = await startServer(() => true);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('index run cancelled')), 50);
    const outcome = embedderFor(server, { timeoutMs: 10_000 }).embed(['x'], { signal: controller.signal });
    await expect(outcome).rejects.toThrow('index run cancelled');
    expect(server.requests).toHaveLength(1);
  });

  it('never puts the API key in an error, even when the server echoes it back', async () => {
    const server = await startServer((request, response) => {
      sendJson(response, 401, { error: { message: `Incorrect API key provided: ${request.authorization}` } });
      return true;
    });
    const error = await embedError(embedderFor(server).embed(['x']));
    expect(error.code).toBe('EMBEDDING_HTTP_ERROR');
    expect(error.status).toBe(401);
    expect(error.isRetryable).toBe(false);
    expect(server.requests).toHaveLength(1);
    expect(error.message).toContain('Incorrect API key provided');
    expect(allErrorText(error)).not.toContain(API_KEY);

    const refused = await embedError(
      embedderFor({ baseUrl: await closedPortUrl() }, { maxRetries: 0 }).embed(['x']),
    );
    expect(allErrorText(refused)).not.toContain(API_KEY);
  });

  it('rejects bad options with EMBEDDING_CONFIG naming each problem', () => {
    let error: unknown;
    try {
      createOpenAICompatibleEmbedder({
        baseUrl: 'ftp://example.com',
        model: '',
        dimension: 0,
        batchSize: 1.5,
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EmbeddingError);
    expect((error as EmbeddingError).code).toBe('EMBEDDING_CONFIG');
    for (const name of ['baseUrl', 'model', 'dimension', 'batchSize']) {
      expect((error as EmbeddingError).message).toContain(name);
    }
    expect(() =>
      createOpenAICompatibleEmbedder({ baseUrl: 'http://me:secret@127.0.0.1/v1', model: 'm', dimension: 4 }),
    ).toThrow(
      expect.objectContaining({ code: 'EMBEDDING_CONFIG', message: expect.stringContaining('apiKey') }),
    );
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');

  it('reads seconds, HTTP dates and retry-after-ms, and ignores garbage', () => {
    expect(parseRetryAfterMs(new Headers({ 'retry-after': '3' }), now)).toBe(3_000);
    expect(parseRetryAfterMs(new Headers({ 'retry-after': '0' }), now)).toBe(0);
    expect(parseRetryAfterMs(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:10 GMT' }), now)).toBe(
      10_000,
    );
    expect(parseRetryAfterMs(new Headers({ 'retry-after': 'Tue, 31 Dec 2024 23:59:00 GMT' }), now)).toBe(0);
    expect(parseRetryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now)).toBe(250);
    expect(parseRetryAfterMs(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfterMs(new Headers(), now)).toBeUndefined();
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
  });
});
