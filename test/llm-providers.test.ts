import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ChatRequest,
  type ChatStreamPart,
  createAnthropicModel,
  createOpenAICompatibleModel,
  type LanguageModel,
  LlmError,
} from '../src/llm/index.ts';
import { type LlmTestServer, startLlmTestServer } from './helpers/llm-server.ts';

const KEY = 'sk-test-0123456789-secret-key';
const ask = {
  messages: [
    { role: 'system' as const, content: 'Be brief.' },
    { role: 'user' as const, content: 'Say hello.' },
  ],
};
const SCHEMA = {
  type: 'object',
  properties: { answer: { type: 'string' }, confidence: { type: 'number' } },
  required: ['answer', 'confidence'],
  additionalProperties: false,
};

async function collect(model: LanguageModel, request: ChatRequest = ask) {
  const parts: ChatStreamPart[] = [];
  try {
    for await (const p of model.stream(request)) parts.push(p);
    return { parts, error: undefined };
  } catch (error) {
    return { parts, error: error as LlmError };
  }
}

const textOf = (parts: readonly ChatStreamPart[]) =>
  parts.map((p) => (p.type === 'text-delta' ? p.text : '')).join('');

/** The error a call fails with, checked to hold the key nowhere: message, cause chain, fields. */
async function failure(call: () => Promise<unknown>): Promise<LlmError> {
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expectNoKey(error);
  return error as LlmError;
}

function expectNoKey(error: unknown) {
  expect(error).toBeInstanceOf(Error);
  const e = error as Error;
  expect(e.message).not.toContain(KEY);
  expect(String(e.cause ?? '')).not.toContain(KEY);
  expect(JSON.stringify(e)).not.toContain(KEY);
  for (let c: unknown = e.cause, depth = 0; c instanceof Error && depth < 8; c = c.cause, depth++)
    expect(`${String(c)}\n${c.stack ?? ''}`).not.toContain(KEY);
}

/** The URL of a port that was just free and is now closed: connecting is refused. */
async function closedPortUrl(): Promise<string> {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as AddressInfo;
  await new Promise((resolve) => closed.close(resolve));
  return `http://127.0.0.1:${port}`;
}

/** A server that answers every request with `answer(body)`, for responses the scripted server never sends. */
async function startRawServer(
  answer: (body: Record<string, unknown>, res: ServerResponse, req: IncomingMessage) => void,
) {
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    answer(JSON.parse(text) as Record<string, unknown>, res, req);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

const ADAPTERS = [
  {
    name: 'OpenAI-compatible',
    protocol: 'openai',
    make: (url: string, model: string, timeoutMs = 5000) =>
      createOpenAICompatibleModel({ provider: 'oa', baseUrl: `${url}/v1`, model, apiKey: KEY, timeoutMs }),
  },
  {
    name: 'Anthropic',
    protocol: 'anthropic',
    make: (url: string, model: string, timeoutMs = 5000) =>
      createAnthropicModel({ provider: 'an', baseUrl: url, model, apiKey: KEY, timeoutMs }),
  },
] as const;

describe.each(ADAPTERS)('the $name adapter against the wire-protocol server', ({ protocol, make }) => {
  let server: LlmTestServer;
  beforeAll(async () => {
    server = await startLlmTestServer();
  });
  afterAll(() => server?.close());
  beforeEach(() => server.reset());

  it('generates a whole answer with usage and finish reason, sending the key and the system prompt the provider’s way', async () => {
    server.script('m', [{ reply: 'Hello, world.', usage: { input: 17, output: 4 } }]);
    const r = await make(server.url, 'm').generate({ ...ask, maxOutputTokens: 64, temperature: 0 });
    expect(r).toEqual({
      text: 'Hello, world.',
      usage: { inputTokens: 17, outputTokens: 4 },
      finishReason: 'stop',
      model: 'm',
    });
    const req = server.requests[0]!;
    expect(req.protocol).toBe(protocol);
    if (protocol === 'openai') {
      expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
      expect(req.body.messages).toEqual([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Say hello.' },
      ]);
      expect(req.body.max_tokens).toBe(64);
    } else {
      // The SDK sends the key as x-api-key or as a bearer token, depending on its version.
      expect(req.headers['x-api-key'] ?? req.headers.authorization).toMatch(KEY);
      expect(req.body.system).toBe('Be brief.');
      expect(req.body.messages).toEqual([{ role: 'user', content: 'Say hello.' }]);
      expect(req.body.max_tokens).toBe(64);
    }
  });

  it('streams deltas that join to the answer, then exactly one finish with usage', async () => {
    server.script('m', [{ reply: 'one two three four', usage: { input: 9, output: 4 } }]);
    const { parts, error } = await collect(make(server.url, 'm'));
    expect(error).toBeUndefined();
    const deltas = parts.filter((p) => p.type === 'text-delta');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((p) => (p.type === 'text-delta' ? p.text : '')).join('')).toBe('one two three four');
    expect(parts.filter((p) => p.type === 'finish')).toEqual([
      { type: 'finish', usage: { inputTokens: 9, outputTokens: 4 }, finishReason: 'stop', model: 'm' },
    ]);
    expect(parts.at(-1)?.type).toBe('finish');
    expect(server.requests[0]!.stream).toBe(true);
    if (protocol === 'openai')
      expect(server.requests[0]!.body.stream_options).toEqual({ include_usage: true });
  });

  it('keeps a slow stream alive while deltas keep coming, though the whole takes longer than timeoutMs', async () => {
    server.script('m', [{ reply: 'one two three four five', firstTokenDelayMs: 150, deltaDelayMs: 150 }]);
    const started = Date.now();
    const { parts, error } = await collect(make(server.url, 'm', 400));
    expect(error).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThan(400);
    expect(textOf(parts)).toBe('one two three four five');
  });

  it('asks for JSON-structured output with the schema, and returns parseable JSON, whole or streamed', async () => {
    const answer = { answer: 'yes', confidence: 0.9 };
    server.script('m', [{ reply: '', json: answer }]);
    const request = { ...ask, responseFormat: { type: 'json' as const, name: 'verdict', schema: SCHEMA } };
    const whole = await make(server.url, 'm').generate(request);
    expect(JSON.parse(whole.text)).toEqual(answer);
    const streamed = await collect(make(server.url, 'm'), request);
    expect(JSON.parse(textOf(streamed.parts))).toEqual(answer);
    const body = server.requests[0]!.body;
    if (protocol === 'openai')
      expect(body.response_format).toEqual({
        type: 'json_schema',
        json_schema: { name: 'verdict', schema: SCHEMA, strict: true },
      });
    else {
      expect(body.tool_choice).toEqual({ type: 'tool', name: 'verdict' });
      expect((body.tools as Array<{ name: string; input_schema: unknown }>)[0]).toMatchObject({
        name: 'verdict',
        input_schema: SCHEMA,
      });
    }
  });

  it.each([
    [{ status: 429, retryAfter: '3' }, 'LLM_RATE_LIMITED', true, 3000],
    [{ status: 500 }, 'LLM_HTTP_ERROR', true, undefined],
    [{ status: 503, retryAfter: '1' }, 'LLM_HTTP_ERROR', true, 1000],
    [{ status: 401, message: `Incorrect API key provided: ${KEY}` }, 'LLM_AUTH', false, undefined],
    [
      { status: 400, message: "This model's maximum context length is 8192 tokens" },
      'LLM_CONTEXT_WINDOW',
      false,
      undefined,
    ],
    [
      { status: 400, message: 'Your request was rejected by our content policy' },
      'LLM_CONTENT_POLICY',
      false,
      undefined,
    ],
    [{ status: 422, message: 'temperature must be <= 2' }, 'LLM_INVALID_REQUEST', false, undefined],
  ] as const)('classifies %o as %s (retryable %s)', async (step, code, retryable, retryAfterMs) => {
    server.script('m', [step]);
    for (const call of [
      () => make(server.url, 'm').generate(ask),
      async () => {
        const r = await collect(make(server.url, 'm'));
        if (r.error) throw r.error;
      },
    ]) {
      const error = await failure(call);
      expect(error).toBeInstanceOf(LlmError);
      expect(error).toMatchObject({ code, isRetryable: retryable, status: step.status });
      expect(error.retryAfterMs).toBe(retryAfterMs);
    }
  });

  it('reads Retry-After given as an HTTP date', async () => {
    server.script('m', [{ status: 429, retryAfter: new Date(Date.now() + 5000).toUTCString() }]);
    const error = (await make(server.url, 'm')
      .generate(ask)
      .catch((e: unknown) => e)) as LlmError;
    expect(error.code).toBe('LLM_RATE_LIMITED');
    expect(error.retryAfterMs).toBeGreaterThan(3000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(5000);
  });

  it('reports a refusal to a structured request as a content_filter finish, whole or streamed', async () => {
    const reply = 'I cannot help with that request.';
    server.script('m', [{ reply, refusal: true }]);
    const request: ChatRequest = {
      ...ask,
      responseFormat: { type: 'json', name: 'answer', schema: { type: 'object' } },
    };
    const whole = await make(server.url, 'm').generate(request);
    expect(whole).toMatchObject({ text: reply, finishReason: 'content_filter' });
    const streamed = await collect(make(server.url, 'm'), request);
    expect(streamed.error).toBeUndefined();
    expect(textOf(streamed.parts)).toBe(reply);
    expect(streamed.parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'content_filter' });
  });

  if (protocol === 'openai')
    it('reads retry-after-ms before Retry-After', async () => {
      server.script('m', [{ status: 429, retryAfter: '9', retryAfterMs: '250' }]);
      const error = (await make(server.url, 'm')
        .generate(ask)
        .catch((e: unknown) => e)) as LlmError;
      expect(error).toMatchObject({ code: 'LLM_RATE_LIMITED', retryAfterMs: 250 });
    });

  if (protocol === 'anthropic')
    it('treats Anthropic’s 529 overload as retryable', async () => {
      server.script('m', [{ status: 529, message: 'Overloaded' }]);
      const error = (await make(server.url, 'm')
        .generate(ask)
        .catch((e: unknown) => e)) as LlmError;
      expect(error).toMatchObject({ code: 'LLM_HTTP_ERROR', isRetryable: true, status: 529 });
    });

  it('times out a provider that accepts the request and then says nothing, whole or streamed', async () => {
    server.script('m', [{ hangBeforeFirstTokenMs: 3000 }]);
    const started = Date.now();
    const whole = await failure(() => make(server.url, 'm', 300).generate(ask));
    expect(whole).toMatchObject({ code: 'LLM_TIMEOUT', isRetryable: true });
    const streamed = await collect(make(server.url, 'm', 300));
    expect(streamed.parts).toEqual([]);
    expect(streamed.error).toMatchObject({ code: 'LLM_TIMEOUT', isRetryable: true });
    expectNoKey(streamed.error);
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('reports a refused connection as a retryable network error naming ECONNREFUSED', async () => {
    const url = await closedPortUrl();
    const error = await failure(() => make(url, 'm').generate(ask));
    expect(error).toMatchObject({ code: 'LLM_NETWORK', isRetryable: true });
    expect(error.message).toContain('ECONNREFUSED');
    const streamed = await collect(make(url, 'm'));
    expect(streamed.error).toMatchObject({ code: 'LLM_NETWORK', isRetryable: true });
    expectNoKey(streamed.error);
  });

  it('reports a connection dropped after the headers as a network error, or an interrupted stream', async () => {
    server.script('m', [{ hangBeforeFirstTokenMs: 50 }]);
    const error = await failure(() => make(server.url, 'm').generate(ask));
    expect(error).toMatchObject({ code: 'LLM_NETWORK', isRetryable: true });
    const streamed = await collect(make(server.url, 'm'));
    expect(streamed.error).toMatchObject({ code: 'LLM_STREAM_INTERRUPTED', isRetryable: true });
  });

  it('fails a stream cut mid-answer, after delivering the deltas before the cut', async () => {
    server.script('m', [{ reply: 'alpha beta gamma delta epsilon', cutAfterDeltas: 2 }]);
    const { parts, error } = await collect(make(server.url, 'm'));
    expect(error).toMatchObject({ code: 'LLM_STREAM_INTERRUPTED', isRetryable: true });
    expectNoKey(error);
    expect(textOf(parts)).toBe('alpha beta ');
    expect(parts.some((p) => p.type === 'finish')).toBe(false);
  });

  it('reports an unreadable body, whole or as a stream event, as a non-retryable LLM_INVALID_RESPONSE', async () => {
    const raw = await startRawServer((body, res) => {
      if (body.stream !== true) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('{"id":"x",');
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(protocol === 'openai' ? 'data: {broken\n\n' : 'event: message_start\ndata: {broken\n\n');
    });
    try {
      const error = await failure(() => make(raw.url, 'm').generate(ask));
      expect(error).toMatchObject({ code: 'LLM_INVALID_RESPONSE', isRetryable: false });
      const streamed = await collect(make(raw.url, 'm'));
      expect(streamed.error).toMatchObject({ code: 'LLM_INVALID_RESPONSE', isRetryable: false });
    } finally {
      await raw.close();
    }
  });

  it('passes a caller’s abort through instead of classifying it as a provider failure', async () => {
    server.script('m', [{ reply: 'slow words here', firstTokenDelayMs: 200, deltaDelayMs: 2000 }]);
    const abortAfter = (ms: number) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('user left')), ms);
      return controller.signal;
    };
    const streamed = await collect(make(server.url, 'm'), { ...ask, signal: abortAfter(1000) });
    expect(streamed.error).not.toBeInstanceOf(LlmError);
    expect((streamed.error as unknown as Error).message).toBe('user left');
    expect(textOf(streamed.parts)).toBe('slow ');
    const whole = await make(server.url, 'm')
      .generate({ ...ask, signal: abortAfter(100) })
      .catch((e: unknown) => e);
    expect(whole).not.toBeInstanceOf(LlmError);
    expect((whole as Error).message).toBe('user left');
  });

  if (protocol === 'anthropic')
    it('rejects a finished JSON answer that did not call the forced tool', async () => {
      const raw = await startRawServer((body, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'msg_1',
            type: 'message',
            role: 'assistant',
            model: body.model,
            content: [{ type: 'text', text: 'Sure, here it is.' }],
            stop_reason: 'end_turn',
            stop_sequence: null,
            usage: { input_tokens: 5, output_tokens: 5 },
          }),
        );
      });
      try {
        const error = await failure(() =>
          make(raw.url, 'm').generate({
            ...ask,
            responseFormat: { type: 'json', name: 'verdict', schema: SCHEMA },
          }),
        );
        expect(error).toMatchObject({ code: 'LLM_INVALID_RESPONSE', isRetryable: false });
      } finally {
        await raw.close();
      }
    });
});
