/**
 * Time to first token on the LLM path: askRag with the LLM answerer against the local wire-protocol
 * server (test/helpers/llm-server.ts), against a raw streaming request of the same body.
 */
import {
  type Answerer,
  askRag,
  createLlmAnswerer,
  type EvidenceSet,
  type LlmResponse,
  llmResponseJsonSchema,
} from '../../src/chat/index.ts';
import type { Db } from '../../src/db/index.ts';
import { applyCatalog, catalogSchema, createLlmClient, createModelResolver } from '../../src/llm/index.ts';
import type { Embedder } from '../../src/search/index.ts';
import { startLlmTestServer } from '../../test/helpers/llm-server.ts';
import type { Question } from './questions.ts';
import { stats } from './stats.ts';

const TTFT_QUESTIONS = Number(process.env.BENCH_CHAT_TTFT_QUESTIONS ?? 49);
const FIRST_TOKEN_DELAY_MS = Number(process.env.BENCH_CHAT_FIRST_TOKEN_DELAY_MS ?? 200);
const round1 = (x: number) => Math.round(x * 10) / 10;

const SCHEMA_ORDER = Object.keys((llmResponseJsonSchema() as { properties: object }).properties);
const inSchemaOrder = (r: LlmResponse): LlmResponse =>
  Object.fromEntries(SCHEMA_ORDER.map((k) => [k, r[k as keyof LlmResponse]])) as LlmResponse;

/** A valid LLM Response JSON v1 reply for this evidence: one sentence, citing the first located item. */
function scriptedReply(e: EvidenceSet): LlmResponse {
  const item = e.items.find((i) => i.kind === 'schema' || i.kind === 'local_file');
  if (!item)
    return {
      version: 'llm_response.v1',
      status: 'cannot_answer',
      answer: 'The evidence does not answer this question.',
      citations: [],
      confidence: 0.5,
      evidence_used: [],
      follow_ups: [],
    };
  return {
    version: 'llm_response.v1',
    status: 'answered',
    answer: `The most relevant code is in \`${item.path}\` (lines ${item.startLine}-${item.endLine}), which the evidence quotes; the answer rests on it and on the related items listed with it.`,
    citations: [
      { path: item.path, start_line: item.startLine, end_line: item.endLine, object_id: item.objectId },
    ],
    confidence: 0.7,
    evidence_used: [item.id],
    follow_ups: [],
  };
}

/** The provider's own time to first content token: a raw streaming POST of the same body. */
async function rawFirstTokenMs(url: string, body: Record<string, unknown>): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let first: number | null = null;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    if (first !== null) continue;
    for (const line of buffer.split('\n')) {
      if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
      const chunk = JSON.parse(line.slice(6)) as { choices?: Array<{ delta?: { content?: string } }> };
      if (chunk.choices?.[0]?.delta?.content) {
        first = performance.now() - t0;
        break;
      }
    }
    const cut = buffer.lastIndexOf('\n');
    buffer = buffer.slice(cut + 1);
  }
  if (first === null) throw new Error('no content token');
  return first;
}

/**
 * How the scripted provider streams the reply. `one-chunk`: the JSON object compact, so its preamble
 * (`{"version":"llm_response.v1","status":"answered","answer":"The`) is the first delta, as the test
 * server splits on whitespace. `paced`: pretty-printed, one delta per whitespace-separated piece every
 * DELTA_DELAY_MS (about a model's token rate), so the answer text starts only after the preamble's
 * six pieces, as it would with a real model writing the fields in the schema's order.
 */
export const STREAM_MODES = ['one-chunk', 'paced'] as const;
export type StreamMode = (typeof STREAM_MODES)[number];
const DELTA_DELAY_MS = Number(process.env.BENCH_CHAT_DELTA_DELAY_MS ?? 20);

/** One stream mode over the set's answerable questions (after 3 warm-up). */
export async function ttftRun(
  db: Db,
  root: string,
  embedder: Embedder,
  qs: readonly Question[],
  mode: StreamMode,
) {
  const server = await startLlmTestServer();
  try {
    // Applied again for the second mode: the catalog's base URL is this server's new port.
    await applyCatalog(
      db,
      catalogSchema.parse({
        providers: [{ id: 'local', kind: 'openai-compatible', baseUrl: `${server.url}/v1` }],
        models: [{ provider: 'local', model: 'chat-model', capabilityClass: 'chat', contextWindow: 128_000 }],
        policies: [{ service: 'chat', capabilityClass: 'chat' }],
      }),
    );
    const llm = createLlmClient({
      db,
      resolveModel: createModelResolver({ db, actor: 'bench', timeoutMs: 10_000 }),
      scoreVersion: 'v2',
      healthTtlMs: 86_400_000,
    });
    const llmAnswerer = createLlmAnswerer({ llm });
    // Scripts the server from the evidence this question gathered (so the reply's citation is valid),
    // then hands over: a synchronous step between the evidence and the LLM answerer.
    const answerer: Answerer = {
      name: llmAnswerer.name,
      answer(input, callbacks) {
        // The fields in the contract's JSON Schema order, as a model's structured output writes them.
        const reply = inSchemaOrder(scriptedReply(input.evidence));
        server.script('chat-model', [
          mode === 'one-chunk'
            ? { reply: '', json: reply, firstTokenDelayMs: FIRST_TOKEN_DELAY_MS }
            : {
                reply: JSON.stringify(reply, null, 1),
                firstTokenDelayMs: FIRST_TOKEN_DELAY_MS,
                deltaDelayMs: DELTA_DELAY_MS,
              },
        ]);
        return llmAnswerer.answer(input, callbacks);
      },
    };
    const rows: Array<Record<string, number | string | null>> = [];
    const asked = qs.filter((q) => q.type !== 'decline').slice(0, TTFT_QUESTIONS);
    const warmup = asked.slice(0, 3);
    for (const [i, q] of [...warmup, ...asked].entries()) {
      let evidenceAt = 0;
      let firstDeltaAt: number | null = null;
      const requestsBefore = server.requests.length;
      const t0 = performance.now();
      const t0Epoch = Date.now();
      const outcome = await askRag(
        { db, root, answerer, embedder },
        {
          question: q.question,
          onEvent: (ev) => {
            if (ev.type === 'evidence') evidenceAt = performance.now() - t0;
            if (ev.type === 'delta' && firstDeltaAt === null) firstDeltaAt = performance.now() - t0;
          },
        },
      ).catch((error: unknown) => {
        throw new Error(`${q.id}: ${error instanceof Error ? error.message : String(error)}`);
      });
      await llm.idle();
      const request = server.requests[requestsBefore];
      if (!request) throw new Error(`${q.id}: no request reached the server`);
      const raw = await rawFirstTokenMs(server.url, request.body);
      if (i < warmup.length) continue;
      const cogoFirst = firstDeltaAt ?? Number.NaN;
      rows.push({
        id: q.id,
        status: outcome.response.status,
        answerer: outcome.answerer,
        rounds: outcome.rounds,
        evidenceMs: round1(outcome.evidenceMs),
        evidenceEventMs: round1(evidenceAt),
        // The server stamps a request with Date.now() when its body is read.
        requestAtMs: request.at - t0Epoch,
        cogoFirstDeltaMs: round1(cogoFirst),
        providerFirstTokenMs: round1(raw),
        addedMs: round1(cogoFirst - raw),
        addedWithoutEvidenceMs: round1(cogoFirst - raw - outcome.evidenceMs),
        promptChars: JSON.stringify(request.body).length,
        totalMs: round1(outcome.totalMs),
      });
    }
    const col = (k: string) => rows.map((r) => r[k] as number);
    return {
      mode,
      firstTokenDelayMs: FIRST_TOKEN_DELAY_MS,
      ...(mode === 'paced' ? { deltaDelayMs: DELTA_DELAY_MS } : {}),
      questions: rows.length,
      answeredByLlm: rows.filter((r) => r.answerer === 'llm' && r.rounds === 0).length,
      cogoFirstDelta: stats(col('cogoFirstDeltaMs')),
      providerFirstToken: stats(col('providerFirstTokenMs')),
      added: stats(col('addedMs')),
      evidence: stats(col('evidenceMs')),
      addedWithoutEvidence: stats(col('addedWithoutEvidenceMs')),
      evidenceEventToRequestMs: stats(
        rows.map((r) => (r.requestAtMs as number) - (r.evidenceEventMs as number)),
      ),
      rows,
    };
  } finally {
    await server.close();
  }
}
