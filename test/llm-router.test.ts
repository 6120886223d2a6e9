import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  applyCatalog,
  catalogSchema,
  createKeyVault,
  createLlmClient,
  createModelResolver,
  type LlmClient,
  type LlmClientOptions,
  LlmError,
  upsertPolicy,
} from '../src/llm/index.ts';
import { registry } from '../src/metrics/index.ts';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { type LlmTestServer, startLlmTestServer } from './helpers/llm-server.ts';

// Three OpenAI-compatible deployments and one Anthropic one, all served by the local test server.
function catalog(baseUrl: string) {
  return catalogSchema.parse({
    providers: [
      { id: 'alpha', kind: 'openai-compatible', baseUrl: `${baseUrl}/v1`, region: 'eu' },
      { id: 'beta', kind: 'openai-compatible', baseUrl: `${baseUrl}/v1`, region: 'us' },
      { id: 'gamma', kind: 'openai-compatible', baseUrl: `${baseUrl}/v1`, region: 'us' },
    ],
    models: [
      // Cheapest first: alpha/m1 < beta/m2 < gamma/m3, so the ranked chain is alpha, beta, gamma.
      { provider: 'alpha', model: 'm1', capabilityClass: 'chat', contextWindow: 100_000 },
      { provider: 'beta', model: 'm2', capabilityClass: 'chat', contextWindow: 100_000 },
      { provider: 'gamma', model: 'm3', capabilityClass: 'chat', contextWindow: 100_000 },
    ],
    policies: [{ service: 'chat', capabilityClass: 'chat' }],
  });
}

const PRICES: Record<string, [number, number]> = {
  'alpha/m1': [1e-6, 2e-6],
  'beta/m2': [2e-6, 4e-6],
  'gamma/m3': [3e-6, 6e-6],
};

const ask = { messages: [{ role: 'user' as const, content: 'Say hello.' }], maxOutputTokens: 50 };

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = (m?.values ?? []).filter((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return v.reduce((a, x) => a + Number(x.value), 0);
}

describe('the LLM client: routing, retries, fallback, circuits and deadlines against a wire-protocol server', () => {
  let t: TestDatabase;
  let server: LlmTestServer;
  const sleeps: number[] = [];

  const client = (over: Partial<LlmClientOptions> = {}): LlmClient =>
    createLlmClient({
      db: t.db,
      resolveModel: createModelResolver({ db: t.db, actor: 'test', timeoutMs: 5000 }),
      scoreVersion: 'v2',
      healthTtlMs: 86_400_000,
      catalogTtlMs: 0,
      firstTokenTimeoutMs: 1500,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
      ...over,
    });

  beforeAll(async () => {
    t = await createMigratedDatabase('pglite', 'llm_router');
    server = await startLlmTestServer();
    await applyCatalog(t.db, catalog(server.url));
    for (const [id, [input, output]] of Object.entries(PRICES))
      await t.db.query(
        'update llm_models set input_price_per_token = $2, output_price_per_token = $3 where id = $1',
        [id, input, output],
      );
  });
  afterAll(async () => {
    await server?.close();
    await t?.dispose();
  });
  beforeEach(async () => {
    sleeps.length = 0;
    server.reset();
    await t.db.exec('delete from llm_calls; delete from provider_health; delete from llm_routing_decisions');
    await upsertPolicy(t.db, { service: 'chat', capabilityClass: 'chat' });
  });

  it('serves the best-ranked deployment, streams its text, and records decision, call, cost and health', async () => {
    server.script('m1', [{ reply: 'Hello there', usage: { input: 12, output: 3 } }]);
    const deltas: string[] = [];
    const before = await metric('cogo_llm_tokens_total', {
      service: 'chat',
      model: 'alpha/m1',
      type: 'output',
    });
    const llm = client();
    const r = await llm.complete('chat', ask, { onDelta: (d) => deltas.push(d) });
    expect(r).toMatchObject({
      text: 'Hello there',
      servedModelId: 'alpha/m1',
      intendedModelId: null,
      degraded: null,
    });
    expect(deltas.join('')).toBe('Hello there');
    expect(r.usage).toEqual({ inputTokens: 12, outputTokens: 3 });
    expect(r.costUsd).toBeCloseTo(12 * 1e-6 + 3 * 2e-6, 12);
    const { rows: calls } = await t.db.query<{
      model_id: string;
      outcome: string;
      tokens_in: number;
      cost_usd: string;
    }>('select model_id, outcome, tokens_in, cost_usd from llm_calls');
    expect(calls).toEqual([
      { model_id: 'alpha/m1', outcome: 'ok', tokens_in: 12, cost_usd: expect.any(String) },
    ]);
    expect(Number(calls[0]!.cost_usd)).toBeCloseTo(r.costUsd, 10);
    const { rows: decisions } = await t.db.query<{
      served_model_id: string;
      outcome: string;
      policy_version: number;
      candidates: { ranked: string[] };
    }>(
      'select served_model_id, outcome, policy_version, candidates from llm_routing_decisions where id = $1',
      [r.decisionId],
    );
    expect(decisions[0]).toMatchObject({ served_model_id: 'alpha/m1', outcome: 'ok', policy_version: 2 });
    expect(decisions[0]!.candidates.ranked).toEqual(['alpha/m1', 'beta/m2', 'gamma/m3']);
    // Health is refreshed after the answer, in the background.
    await llm.idle();
    const { rows: health } = await t.db.query<{ samples: number; error_rate: number }>(
      "select samples, error_rate from provider_health where model_id = 'alpha/m1'",
    );
    expect(health).toEqual([{ samples: 1, error_rate: 0 }]);
    expect(
      await metric('cogo_llm_tokens_total', { service: 'chat', model: 'alpha/m1', type: 'output' }),
    ).toBe(before + 3);
  });

  it('retries a 429 on the same deployment after its Retry-After', async () => {
    server.script('m1', [{ status: 429, retryAfter: '2' }, { reply: 'ok after wait' }]);
    const r = await client().complete('chat', ask);
    expect(r.servedModelId).toBe('alpha/m1');
    expect(r.text).toBe('ok after wait');
    expect(sleeps).toEqual([2000]);
    expect(r.chain.map((s) => [s.modelId, s.attempt, s.outcome, s.errorCode ?? null])).toEqual([
      ['alpha/m1', 1, 'error', 'LLM_RATE_LIMITED'],
      ['alpha/m1', 2, 'ok', null],
    ]);
  });

  it('retries 5xx with jittered exponential backoff, then falls back down the ranked list', async () => {
    server.script('m1', [{ status: 500 }]);
    server.script('m2', [{ reply: 'from beta' }]);
    const fallbacks = await metric('cogo_llm_fallbacks_total', { service: 'chat', reason: 'LLM_HTTP_ERROR' });
    const r = await client().complete('chat', ask);
    expect(r.servedModelId).toBe('beta/m2');
    expect(r.chain.map((s) => `${s.modelId}#${s.attempt}:${s.outcome}`)).toEqual([
      'alpha/m1#1:error',
      'alpha/m1#2:error',
      'alpha/m1#3:error',
      'beta/m2#1:ok',
    ]);
    // Full jitter with random() = 0.5: half of 200 ms, then half of 400 ms.
    expect(sleeps).toEqual([100, 200]);
    expect(server.requests.filter((q) => q.model === 'm1')).toHaveLength(3);
    expect(await metric('cogo_llm_fallbacks_total', { service: 'chat', reason: 'LLM_HTTP_ERROR' })).toBe(
      fallbacks + 1,
    );
  });

  it('does not retry a non-retryable 4xx: it falls back at once', async () => {
    server.script('m1', [{ status: 400, message: "This model's maximum context length is 10 tokens" }]);
    server.script('m2', [{ reply: 'bigger window' }]);
    const r = await client().complete('chat', ask);
    expect(r.servedModelId).toBe('beta/m2');
    expect(r.chain[0]).toMatchObject({ modelId: 'alpha/m1', attempt: 1, errorCode: 'LLM_CONTEXT_WINDOW' });
    expect(sleeps).toEqual([]);
  });

  it('falls back when the first token misses its deadline, without retrying the silent deployment', async () => {
    server.script('m1', [{ hangBeforeFirstTokenMs: 10_000 }]);
    server.script('m2', [{ reply: 'prompt' }]);
    const t0 = performance.now();
    const r = await client({ firstTokenTimeoutMs: 400 }).complete('chat', ask);
    const elapsed = performance.now() - t0;
    expect(r.servedModelId).toBe('beta/m2');
    expect(r.chain[0]).toMatchObject({
      modelId: 'alpha/m1',
      outcome: 'error',
      errorCode: 'LLM_FIRST_TOKEN_TIMEOUT',
    });
    expect(r.chain).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(400);
    expect(elapsed).toBeLessThan(3000);
  });

  it('treats a stream cut mid-answer as a failure, tells the caller to restart, and keeps only the good answer', async () => {
    server.script('m1', [
      { reply: 'one two three four five', cutAfterDeltas: 2 },
      { reply: 'complete answer' },
    ]);
    const deltas: string[] = [];
    const restarts: string[] = [];
    const r = await client().complete('chat', ask, {
      onDelta: (d) => deltas.push(d),
      onRestart: (i) => {
        restarts.push(`${i.from}->${i.to}:${i.reason}`);
        deltas.length = 0;
      },
    });
    expect(r.text).toBe('complete answer');
    expect(restarts).toEqual(['alpha/m1->alpha/m1:LLM_STREAM_INTERRUPTED']);
    expect(deltas.join('')).toBe('complete answer');
    expect(r.chain.map((s) => s.errorCode ?? 'ok')).toEqual(['LLM_STREAM_INTERRUPTED', 'ok']);
  });

  it('opens a deployment’s circuit after consecutive failures, skips it, then probes it half-open and closes it', async () => {
    const llm = client({ circuit: { failures: 3, halfOpenAfterMs: 300 }, retry: { attempts: 1 } });
    const opened = await metric('cogo_llm_circuit_transitions_total', { model: 'alpha/m1', state: 'open' });
    server.script('m1', [{ status: 503 }]);
    server.script('m2', [{ reply: 'beta' }]);
    // Intended, so alpha stays first although its health falls with each failure.
    const toAlpha = { intendedModel: 'alpha/m1' };
    for (let i = 0; i < 3; i++)
      expect((await llm.complete('chat', ask, toAlpha)).servedModelId).toBe('beta/m2');
    expect(llm.circuits()['alpha/m1']).toBe('open');
    expect(await metric('cogo_llm_circuit_transitions_total', { model: 'alpha/m1', state: 'open' })).toBe(
      opened + 1,
    );
    expect(await metric('cogo_llm_circuit_state', { model: 'alpha/m1' })).toBe(1);
    const hitsBefore = server.requests.filter((q) => q.model === 'm1').length;
    const skipped = await llm.complete('chat', ask, toAlpha);
    expect(skipped.chain[0]).toMatchObject({
      modelId: 'alpha/m1',
      outcome: 'skipped',
      errorCode: 'LLM_CIRCUIT_OPEN',
    });
    expect(server.requests.filter((q) => q.model === 'm1')).toHaveLength(hitsBefore);
    // Recovered: after the pause, one request probes alpha and closes the circuit.
    server.script('m1', [{ reply: 'alpha is back' }]);
    await new Promise((r) => setTimeout(r, 350));
    const probe = await llm.complete('chat', ask, toAlpha);
    expect(probe.servedModelId).toBe('alpha/m1');
    expect(llm.circuits()['alpha/m1']).toBe('closed');
  });

  it('serves a fit intended model, and degrades a denied one to its class, reporting both', async () => {
    server.script('m3', [{ reply: 'gamma as intended' }]);
    server.script('m1', [{ reply: 'alpha instead' }]);
    const fit = await client().complete('chat', ask, { intendedModel: 'gamma/m3' });
    expect(fit).toMatchObject({ intendedModelId: 'gamma/m3', servedModelId: 'gamma/m3', degraded: null });
    await upsertPolicy(t.db, { service: 'chat', capabilityClass: 'chat', denyModels: ['gamma/m3'] });
    const denied = await client().complete('chat', ask, { intendedModel: 'gamma/m3' });
    expect(denied).toMatchObject({
      intendedModelId: 'gamma/m3',
      servedModelId: 'alpha/m1',
      degraded: { reason: 'denied', fallbackClass: 'chat' },
    });
  });

  it('fails with LLM_ALL_FAILED when every deployment fails, and records the failed decision', async () => {
    for (const m of ['m1', 'm2', 'm3']) server.script(m, [{ status: 401 }]);
    const error = await client()
      .complete('chat', ask)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmError);
    expect((error as LlmError).code).toBe('LLM_ALL_FAILED');
    const { rows } = await t.db.query<{ outcome: string; chain: unknown[] }>(
      'select outcome, chain from llm_routing_decisions',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.outcome).toBe('failed');
    expect(rows[0]!.chain).toHaveLength(3);
  });

  it('routes nothing when the service’s policy is switched off', async () => {
    await upsertPolicy(t.db, { service: 'chat', enabled: false });
    const error = await client()
      .complete('chat', ask)
      .catch((e: unknown) => e);
    expect((error as LlmError).code).toBe('LLM_NO_CANDIDATE');
    expect(server.requests).toHaveLength(0);
  });

  it('learns from failures: health records timeouts and errors apart and v2 ranks a failing deployment down', async () => {
    server.script('m1', [{ status: 500 }]);
    server.script('m2', [{ reply: 'fine' }]);
    const llm = client({ retry: { attempts: 1 }, circuit: { failures: 100, halfOpenAfterMs: 60_000 } });
    await llm.complete('chat', ask);
    await llm.idle();
    const { rows } = await t.db.query<{ model_id: string; http_errors: number; error_rate: number }>(
      'select model_id, http_errors, error_rate from provider_health order by model_id',
    );
    expect(rows).toEqual([
      { model_id: 'alpha/m1', http_errors: 1, error_rate: 0.8 },
      { model_id: 'beta/m2', http_errors: 0, error_rate: 0 },
    ]);
    // Failures are capped at 80 % of the window; still, alpha now ranks below beta.
    const rank = await llm.select('chat', { inputTokens: 10, maxOutputTokens: 50 });
    expect(rank.chain.slice(0, 2)).toEqual(['beta/m2', 'alpha/m1']);
  });

  it('skips a deployment whose key cannot be read, and serves the next one', async () => {
    server.script('m2', [{ reply: 'beta without a key problem' }]);
    // A real vault holding alpha's key, read a year after it expired.
    const masterKey = new Uint8Array(32).fill(5);
    await createKeyVault(t.db, { masterKey }).put('alpha-key', 'sk-alpha', {
      expectedVersion: 0,
      actor: 'test',
      expiresAt: new Date(Date.now() + 60_000),
    });
    const later = createKeyVault(t.db, { masterKey, now: () => new Date(Date.now() + 365 * 86_400_000) });
    await t.db.query("update llm_providers set key_id = 'alpha-key' where id = 'alpha'");
    try {
      const llm = client({ resolveModel: createModelResolver({ db: t.db, vault: later, actor: 'test' }) });
      const r = await llm.complete('chat', ask);
      expect(r.servedModelId).toBe('beta/m2');
      expect(r.chain[0]).toMatchObject({ modelId: 'alpha/m1', outcome: 'skipped', errorCode: 'LLM_AUTH' });
      expect(server.requests.filter((q) => q.model === 'm1')).toHaveLength(0);
    } finally {
      await t.db.query("update llm_providers set key_id = null where id = 'alpha'");
    }
  });

  it('passes a caller’s abort through and records the decision as failed', async () => {
    server.script('m1', [{ reply: 'slow answer words', deltaDelayMs: 300 }]);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('user left')), 100);
    const error = await client()
      .complete('chat', { ...ask, signal: controller.signal })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('user left');
    const { rows } = await t.db.query<{ outcome: string }>('select outcome from llm_routing_decisions');
    expect(rows).toEqual([{ outcome: 'failed' }]);
  });
});
