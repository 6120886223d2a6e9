import { sign } from 'hono/jwt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyCatalog,
  catalogSchema,
  createKeyVault,
  createRouter,
  parseMasterKey,
  upsertPolicy,
} from '../src/llm/index.ts';
import { createGatewayApp } from '../src/services/gateway/index.ts';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { type RunningFunction, serveEdgeFunction } from './helpers/deno.ts';

const JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';

const CATALOG = catalogSchema.parse({
  providers: [
    { id: 'east', kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', region: 'us-east' },
    { id: 'west', kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', region: 'us-west' },
  ],
  models: [
    { provider: 'east', model: 'small', capabilityClass: 'chat', contextWindow: 8000 },
    { provider: 'east', model: 'large', capabilityClass: 'chat', contextWindow: 128000 },
    { provider: 'west', model: 'large', capabilityClass: 'chat', contextWindow: 128000 },
    { provider: 'west', model: 'embed', capabilityClass: 'embedding', contextWindow: 8000 },
  ],
  policies: [
    { service: 'chat', capabilityClass: 'chat', denyModels: ['west/large'], preferredRegions: ['us-west'] },
  ],
});

const bodies = [
  { service: 'chat', inputTokens: 1000, maxOutputTokens: 500 },
  { service: 'chat', inputTokens: 20000, maxOutputTokens: 1000, intendedModel: 'west/large' },
  { service: 'other' },
];

describe('router-select, one handler on the Node gateway and as a Supabase Edge Function under Deno', () => {
  let t: TestDatabase;
  let open: RunningFunction;
  let guarded: RunningFunction;

  beforeAll(async () => {
    t = await createMigratedDatabase('postgres', 'edge');
    await applyCatalog(t.db, CATALOG);
    await upsertPolicy(t.db, {
      service: 'chat',
      capabilityClass: 'chat',
      denyModels: ['west/large'],
      preferredRegions: ['us-west'],
    });
    const env = { DATABASE_URL: t.url!, ROUTER_SCORE_V2: 'true' };
    [open, guarded] = await Promise.all([
      serveEdgeFunction('router-select', { ...env, VERIFY_JWT: 'false' }),
      serveEdgeFunction('router-select', { ...env, SUPABASE_JWT_SECRET: JWT_SECRET }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([open?.stop(), guarded?.stop()]);
    await t?.dispose();
  });

  it('answers exactly as the gateway does', async () => {
    const app = createGatewayApp({
      db: t.db,
      router: createRouter({ db: t.db, scoreVersion: 'v2', healthTtlMs: 86_400_000 }),
      auth: { verifyJwt: false },
    });
    for (const body of bodies) {
      const init = {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      };
      const fromDeno = await fetch(`${open.url}/router-select`, init);
      const fromNode = await app.request('/api/router-select', init);
      expect(fromDeno.status).toBe(200);
      expect(fromNode.status).toBe(200);
      expect(await fromDeno.json()).toEqual(await fromNode.json());
    }
  });

  it('shows the same ranking at GET /api/metrics/routing on the gateway', async () => {
    const app = createGatewayApp({
      db: t.db,
      router: createRouter({ db: t.db, scoreVersion: 'v2', healthTtlMs: 86_400_000 }),
    });
    const routing = await app.request(
      '/api/metrics/routing?service=chat&inputTokens=1000&maxOutputTokens=500',
    );
    const selected = await fetch(`${open.url}/router-select`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(bodies[0]),
    });
    expect(routing.status).toBe(200);
    expect(await routing.json()).toEqual(await selected.json());
    expect((await app.request('/api/metrics/routing')).status).toBe(400);
  });

  it('ranks by the policy and degrades a denied intended model, with the policy version', async () => {
    const res = await fetch(`${open.url}/router-select`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(bodies[1]),
    });
    const { result } = (await res.json()) as {
      result: {
        policyVersion: number;
        scoreVersion: string;
        degraded: unknown;
        chain: string[];
        candidates: Array<{ modelId: string; filtered?: string }>;
      };
    };
    expect(result.scoreVersion).toBe('v2');
    expect(result.policyVersion).toBe(2);
    expect(result.degraded).toEqual({ reason: 'denied', fallbackClass: 'chat' });
    expect(result.chain).toEqual(['east/large']);
    expect(Object.fromEntries(result.candidates.map((c) => [c.modelId, c.filtered ?? 'ranked']))).toEqual({
      'east/large': 'ranked',
      'east/small': 'context_window',
      'west/embed': 'capability_class',
      'west/large': 'denied',
    });
  });

  it('rejects a malformed request with a clear 400', async () => {
    for (const body of [
      'not json',
      JSON.stringify({ service: '' }),
      JSON.stringify({ service: 'chat', extra: 1 }),
    ]) {
      const res = await fetch(`${open.url}/router-select`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ ok: false, error: { code: 'INVALID_REQUEST' } });
    }
  });

  it('verifies the JWT unless development mode is switched on', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${guarded.url}/router-select`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(bodies[0]),
      });
    const none = await post({});
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    const now = Math.floor(Date.now() / 1000);
    const forged = await sign(
      { sub: 'u1', role: 'authenticated', exp: now + 60 },
      'another-secret-of-at-least-32-chars!!',
    );
    expect((await post({ authorization: `Bearer ${forged}` })).status).toBe(401);
    const expired = await sign({ sub: 'u1', role: 'authenticated', exp: now - 60 }, JWT_SECRET);
    expect((await post({ authorization: `Bearer ${expired}` })).status).toBe(401);
    const valid = await sign({ sub: 'u1', role: 'authenticated', exp: now + 60 }, JWT_SECRET);
    const ok = await post({ authorization: `Bearer ${valid}` });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { result: { chain: string[] } }).result.chain[0]).toBe('east/large');
  });
});

describe('key-vault, one handler on the Node gateway and as a Supabase Edge Function under Deno', () => {
  let t: TestDatabase;
  let fn: RunningFunction;
  const masterKey = Buffer.alloc(32, 9).toString('base64');
  const SECRET = 'sk-provider-key-for-the-edge-test';
  const token = async (role: string, sub: string) =>
    `Bearer ${await sign({ sub, role, exp: Math.floor(Date.now() / 1000) + 300 }, JWT_SECRET)}`;

  beforeAll(async () => {
    t = await createMigratedDatabase('postgres', 'edge_vault');
    fn = await serveEdgeFunction('key-vault', {
      DATABASE_URL: t.url!,
      COGO_VAULT_MASTER_KEY: masterKey,
      SUPABASE_JWT_SECRET: JWT_SECRET,
    });
  }, 60_000);
  afterAll(async () => {
    await fn?.stop();
    await t?.dispose();
  });

  it('writes a key under Deno that the Node gateway reads back, with roles enforced and every access audited', async () => {
    const service = await token('service_role', 'ops-bot');
    const user = await token('authenticated', 'user-7');
    const put = await fetch(`${fn.url}/key-vault/keys/openai`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: service },
      body: JSON.stringify({ secret: SECRET, expectedVersion: 0 }),
    });
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ ok: true, result: { id: 'openai', version: 1 } });
    // A second writer with the same expected version loses.
    const again = await fetch(`${fn.url}/key-vault/keys/openai`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: service },
      body: JSON.stringify({ secret: 'other', expectedVersion: 0 }),
    });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ ok: false, error: { code: 'VAULT_CONFLICT' } });

    const app = createGatewayApp({
      db: t.db,
      vault: createKeyVault(t.db, { masterKey: parseMasterKey(masterKey) }),
      auth: { verifyJwt: true, jwtSecret: JWT_SECRET },
    });
    const read = await app.request('/api/key-vault/keys/openai', { headers: { authorization: service } });
    expect(await read.json()).toMatchObject({
      ok: true,
      result: { id: 'openai', version: 1, secret: SECRET },
    });

    const denied = await fetch(`${fn.url}/key-vault/keys/openai`, { headers: { authorization: user } });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const listed = await fetch(`${fn.url}/key-vault/keys`, { headers: { authorization: user } });
    const list = (await listed.json()) as { result: Array<Record<string, unknown>> };
    expect(list.result.map((k) => [k.id, k.version])).toEqual([['openai', 1]]);
    expect(JSON.stringify(list)).not.toContain(SECRET);
    expect((await fetch(`${fn.url}/key-vault/keys`)).status).toBe(401);
    const missing = await fetch(`${fn.url}/key-vault/keys/nope`, { headers: { authorization: service } });
    expect(missing.status).toBe(404);

    const { rows } = await t.db.query<{ action: string; actor: string; outcome: string }>(
      'select action, actor, outcome from secure_keys_audit order by id',
    );
    expect(rows.map((r) => `${r.action}:${r.actor}:${r.outcome}`)).toEqual([
      'write:ops-bot:ok',
      'fail:ops-bot:conflict',
      'read:ops-bot:ok',
      'fail:ops-bot:denied',
    ]);
    expect(fn.output()).not.toContain(SECRET);
  });
});
