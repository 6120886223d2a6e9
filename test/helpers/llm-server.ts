/**
 * A local server speaking the providers' real wire protocols, for tests and benchmarks (hosted LLM
 * APIs cannot run here): OpenAI chat completions (`POST /v1/chat/completions`, JSON or SSE `data:`
 * chunks ending in `data: [DONE]`, usage chunk on `stream_options.include_usage`) and Anthropic
 * Messages (`POST /v1/messages`, JSON or SSE with `event:` and `data:` lines). Each model follows a
 * script of steps, one per request (the last repeats): a reply, an error status, a hang, a slow or
 * cut stream. Every request is recorded.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What the server does with one request: answer (whole, or streamed word by word), fail with an HTTP
 * status and the provider's error body, or accept the request and then stay silent.
 */
export type Step =
  | {
      /** The answer's text, streamed word by word (with its spaces). */
      readonly reply: string;
      /** Structured output: sent as the JSON text (OpenAI) or as the forced tool's input (Anthropic). */
      readonly json?: unknown;
      /** Token counts to report; by default 10 in and one per word out. */
      readonly usage?: { readonly input: number; readonly output: number };
      /** Wait this long before the first event (streams, after the headers) or before answering. */
      readonly firstTokenDelayMs?: number;
      /** Streams only: wait this long after each delta. */
      readonly deltaDelayMs?: number;
      /** Streams only: send this many deltas, then destroy the socket. */
      readonly cutAfterDeltas?: number;
      /**
       * The model declines: OpenAI sends `reply` as `message.refusal` (`delta.refusal` when streamed)
       * with no content; Anthropic sends it as text with `stop_reason: refusal`.
       */
      readonly refusal?: boolean;
    }
  | {
      readonly status: number;
      /** The provider's error message; `scripted <status>` by default. */
      readonly message?: string;
      /** Sent as the Retry-After header: seconds or an HTTP date. */
      readonly retryAfter?: string;
      /** Sent as OpenAI's retry-after-ms header. */
      readonly retryAfterMs?: string;
    }
  /** Send 200 and the headers, then nothing for this long, then destroy the socket. */
  | { readonly hangBeforeFirstTokenMs: number };

export interface RecordedRequest {
  readonly path: string;
  readonly protocol: 'openai' | 'anthropic';
  readonly model: string;
  readonly stream: boolean;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Record<string, unknown>;
  readonly at: number;
}

export interface LlmTestServer {
  /** `http://127.0.0.1:<port>`; OpenAI clients use `${url}/v1`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Sets a model's script; each request takes the next step and the last one repeats. */
  script(model: string, steps: readonly Step[]): void;
  /** Forgets scripts and recorded requests. */
  reset(): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// Before a scripted cut, let the deltas already written reach the client.
const CUT_AFTER_MS = 50;
async function cut(res: ServerResponse): Promise<void> {
  await sleep(CUT_AFTER_MS);
  res.socket?.destroy();
}
const words = (text: string) => text.match(/\S+\s*/g) ?? [];

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      data += c;
    });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

// The error `type`s the providers send for each status (OpenAI also sets a `code` for some).
const OPENAI_ERRORS: Record<number, [type: string, code: string | null]> = {
  400: ['invalid_request_error', null],
  401: ['invalid_request_error', 'invalid_api_key'],
  404: ['invalid_request_error', 'model_not_found'],
  429: ['requests', 'rate_limit_exceeded'],
};
const ANTHROPIC_ERRORS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

function sendError(
  res: ServerResponse,
  protocol: 'openai' | 'anthropic',
  step: { status: number; message?: string; retryAfter?: string; retryAfterMs?: string },
) {
  const message = step.message ?? `scripted ${step.status}`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (step.retryAfter) headers['retry-after'] = step.retryAfter;
  if (step.retryAfterMs) headers['retry-after-ms'] = step.retryAfterMs;
  res.writeHead(step.status, headers);
  const [type, code] = OPENAI_ERRORS[step.status] ?? ['server_error', null];
  res.end(
    JSON.stringify(
      protocol === 'openai'
        ? { error: { message, type, param: null, code } }
        : { type: 'error', error: { type: ANTHROPIC_ERRORS[step.status] ?? 'api_error', message } },
    ),
  );
}

async function openaiReply(
  res: ServerResponse,
  model: string,
  body: Record<string, unknown>,
  step: Extract<Step, { reply: string }>,
) {
  const stream = body.stream === true;
  // As OpenAI does: with include_usage every chunk has `usage: null` and one last chunk has the usage.
  const withUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
  const text = step.json !== undefined ? JSON.stringify(step.json) : step.reply;
  const usage = {
    prompt_tokens: step.usage?.input ?? 10,
    completion_tokens: step.usage?.output ?? words(text).length,
  };
  const id = `chatcmpl-${Math.random().toString(36).slice(2)}`;
  const created = Math.floor(Date.now() / 1000);
  if (!stream) {
    if (step.firstTokenDelayMs) await sleep(step.firstTokenDelayMs);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          {
            index: 0,
            message: step.refusal
              ? { role: 'assistant', content: null, refusal: text }
              : { role: 'assistant', content: text },
            finish_reason: 'stop',
          },
        ],
        usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
      }),
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }], ...(withUsage ? { usage: null } : {}) })}\n\n`,
    );
  if (step.firstTokenDelayMs) await sleep(step.firstTokenDelayMs);
  chunk({ role: 'assistant', content: '' }, null);
  let sent = 0;
  for (const w of words(text)) {
    // The client has gone (aborted): stop, as a provider does.
    if (res.destroyed) return;
    if (step.cutAfterDeltas !== undefined && sent >= step.cutAfterDeltas) return cut(res);
    chunk(step.refusal ? { refusal: w } : { content: w }, null);
    sent++;
    if (step.deltaDelayMs) await sleep(step.deltaDelayMs);
  }
  if (step.cutAfterDeltas !== undefined && sent >= step.cutAfterDeltas) return cut(res);
  chunk({}, 'stop');
  if (withUsage)
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } })}\n\n`,
    );
  res.end('data: [DONE]\n\n');
}

async function anthropicReply(
  res: ServerResponse,
  model: string,
  stream: boolean,
  body: Record<string, unknown>,
  step: Extract<Step, { reply: string }>,
) {
  // A refusal is text, even when a tool was forced.
  const tool =
    !step.refusal && Array.isArray(body.tools) && body.tools.length > 0
      ? (body.tools[0] as { name: string })
      : undefined;
  const text = step.json !== undefined ? JSON.stringify(step.json) : step.reply;
  const usage = {
    input_tokens: step.usage?.input ?? 10,
    output_tokens: step.usage?.output ?? words(text).length,
  };
  const id = `msg_${Math.random().toString(36).slice(2)}`;
  const stop = step.refusal ? 'refusal' : tool ? 'tool_use' : 'end_turn';
  if (!stream) {
    if (step.firstTokenDelayMs) await sleep(step.firstTokenDelayMs);
    res.writeHead(200, { 'content-type': 'application/json' });
    const content = tool
      ? [{ type: 'tool_use', id: 'toolu_1', name: tool.name, input: step.json ?? {} }]
      : [{ type: 'text', text }];
    res.end(
      JSON.stringify({
        id,
        type: 'message',
        role: 'assistant',
        model,
        content,
        stop_reason: stop,
        stop_sequence: null,
        usage,
      }),
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.flushHeaders();
  const event = (name: string, data: Record<string, unknown>) =>
    res.write(`event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`);
  if (step.firstTokenDelayMs) await sleep(step.firstTokenDelayMs);
  event('message_start', {
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: usage.input_tokens, output_tokens: 1 },
    },
  });
  event('content_block_start', {
    index: 0,
    content_block: tool
      ? { type: 'tool_use', id: 'toolu_1', name: tool.name, input: {} }
      : { type: 'text', text: '' },
  });
  event('ping', {});
  let sent = 0;
  for (const w of words(text)) {
    // The client has gone (aborted): stop, as a provider does.
    if (res.destroyed) return;
    if (step.cutAfterDeltas !== undefined && sent >= step.cutAfterDeltas) return cut(res);
    event('content_block_delta', {
      index: 0,
      delta: tool ? { type: 'input_json_delta', partial_json: w } : { type: 'text_delta', text: w },
    });
    sent++;
    if (step.deltaDelayMs) await sleep(step.deltaDelayMs);
  }
  if (step.cutAfterDeltas !== undefined && sent >= step.cutAfterDeltas) return cut(res);
  event('content_block_stop', { index: 0 });
  event('message_delta', {
    delta: { stop_reason: stop, stop_sequence: null },
    usage: { output_tokens: usage.output_tokens },
  });
  event('message_stop', {});
  res.end();
}

/** Starts the server on a free port of 127.0.0.1. */
export async function startLlmTestServer(): Promise<LlmTestServer> {
  const scripts = new Map<string, { steps: readonly Step[]; next: number }>();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();

  const server = createServer(async (req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    if (req.method === 'GET' && path === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          data: [...scripts.keys()].map((id) => ({ id, object: 'model', owned_by: 'test' })),
        }),
      );
      return;
    }
    const protocol =
      path === '/v1/chat/completions' ? 'openai' : path === '/v1/messages' ? 'anthropic' : undefined;
    if (req.method !== 'POST' || !protocol) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${path}` } }));
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    } catch {
      return sendError(res, protocol, { status: 400, message: 'invalid JSON body' });
    }
    const model = String(body.model ?? '');
    const stream = body.stream === true;
    requests.push({ path, protocol, model, stream, headers: req.headers, body, at: Date.now() });
    const script = scripts.get(model);
    if (!script)
      return sendError(res, protocol, { status: 404, message: `The model \`${model}\` does not exist` });
    const step = script.steps[Math.min(script.next, script.steps.length - 1)]!;
    script.next++;
    if ('status' in step) return sendError(res, protocol, step);
    if ('hangBeforeFirstTokenMs' in step) {
      res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
      res.flushHeaders();
      await sleep(step.hangBeforeFirstTokenMs);
      if (!res.destroyed) res.socket?.destroy();
      return;
    }
    if (protocol === 'openai') await openaiReply(res, model, body, step);
    else await anthropicReply(res, model, stream, body, step);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script(model, steps) {
      if (steps.length === 0) throw new Error('a script needs at least one step');
      scripts.set(model, { steps, next: 0 });
    },
    reset() {
      scripts.clear();
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
