/**
 * bench:llm — the LLM layer's own costs and reaction times, against the local wire-protocol server
 * (test/helpers/llm-server.ts; hosted APIs cannot run here):
 *   1. router decision time with 100 candidate deployments (pure ranking, and `select` over a database)
 *   2. overhead of the whole layer per proxied call (client.complete against the adapter alone)
 *   3. time to fall back after a hard failure (connection refused; HTTP 500)
 *   4. time to fall back from a silent provider (at the first-token deadline)
 *   5. time to return to a recovered primary (circuit half-open probe)
 * Writes bench/llm/results.json and prints the tables for BENCHMARKS.md.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createPgliteDb,
  type Db,
  DEFAULT_MIGRATIONS_DIR,
  loadMigrations,
  migrate,
} from '../../src/db/index.ts';
import {
  applyCatalog,
  catalogSchema,
  createLlmClient,
  createModelResolver,
  createRouter,
  type HealthEntry,
  type ModelEntry,
  type RoutingPolicy,
  rankCandidates,
} from '../../src/llm/index.ts';
import { createOpenAICompatibleModel } from '../../src/llm/openai-compatible-model.ts';
import { startLlmTestServer } from '../../test/helpers/llm-server.ts';
import { freshServerDb, loadavg, REPO, revision } from '../common.ts';

const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const log = (m: string) => process.stderr.write(`[bench:llm] ${m}\n`);

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { n: s.length, p50: r(at(0.5)), p95: r(at(0.95)), p99: r(at(0.99)), max: r(s.at(-1)!) };
}

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------
// 1. Decision time

function syntheticCatalog(n: number) {
  const random = rng(7);
  const regions = ['us-east', 'us-west', 'eu', 'ap'];
  const models: ModelEntry[] = [];
  const health = new Map<string, HealthEntry>();
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const id = `p${i % 10}/m${String(i).padStart(3, '0')}`;
    models.push({
      id,
      providerId: `p${i % 10}`,
      model: `m${i}`,
      capabilityClass: i % 5 === 0 ? 'large' : 'chat',
      inputPricePerToken: random() * 1e-5,
      outputPricePerToken: random() * 3e-5,
      contextWindow: random() < 0.1 ? 8000 : 128_000,
      region: regions[i % 4]!,
      coldStartPenaltyMs: random() < 0.2 ? Math.round(random() * 5000) : 0,
      enabled: random() > 0.05,
    });
    if (random() < 0.9)
      health.set(id, {
        modelId: id,
        samples: 100,
        errorRate: random() * 0.3,
        recentErrorRate: random() * 0.4,
        latencyP50Ms: 200 + random() * 3000,
        latencyP95Ms: 500 + random() * 8000,
        // A tenth is stale.
        updatedAt: new Date(now - (random() < 0.1 ? 3 * 86_400_000 : random() * 3_600_000)),
      });
  }
  return { models, health };
}

const POLICY: RoutingPolicy = {
  service: 'chat',
  version: 1,
  enabled: true,
  capabilityClass: null,
  denyModels: ['p1/m001', 'p2/m012', 'p3/m023'],
  denyProviders: ['p9'],
  maxLatencyMs: 6000,
  maxErrorRate: 0.2,
  preferredRegions: ['us-east', 'eu'],
  weights: {},
  firstTokenTimeoutMs: null,
};

async function decisionTime() {
  const { models, health } = syntheticCatalog(100);
  const request = { inputTokens: 2000, maxOutputTokens: 1000 };
  const out: Record<string, ReturnType<typeof stats>> = {};
  for (const scoreVersion of ['v1', 'v2'] as const) {
    const times: number[] = [];
    for (let i = 0; i < 22_000; i++) {
      const t0 = performance.now();
      rankCandidates(models, health, POLICY, request, {
        scoreVersion,
        healthTtlMs: 86_400_000,
        now: new Date(),
        ...(i % 4 === 0 ? { intendedModelId: models[i % 100]!.id } : {}),
      });
      if (i >= 2000) times.push(performance.now() - t0);
    }
    out[`rankCandidates ${scoreVersion}`] = stats(times);
  }
  // `select` as the gateway and the client call it: catalog and health cached between reads.
  const db = await migrated(await createPgliteDb());
  await applyCatalog(
    db,
    catalogSchema.parse({
      providers: [...new Set(models.map((m) => m.providerId))].map((id) => ({
        id,
        kind: 'openai-compatible',
        baseUrl: 'http://127.0.0.1:9/v1',
      })),
      models: models.map((m) => ({
        id: m.id,
        provider: m.providerId,
        model: m.model,
        capabilityClass: m.capabilityClass,
        contextWindow: m.contextWindow,
        region: m.region,
        coldStartPenaltyMs: m.coldStartPenaltyMs,
        enabled: m.enabled,
      })),
    }),
  );
  const router = createRouter({ db, scoreVersion: 'v2', healthTtlMs: 86_400_000, catalogTtlMs: 60_000 });
  const times: number[] = [];
  for (let i = 0; i < 12_000; i++) {
    const t0 = performance.now();
    await router.select('chat', request);
    if (i >= 2000) times.push(performance.now() - t0);
  }
  out['router.select v2 (catalog cached)'] = stats(times);
  await db.close();
  return out;
}

async function migrated(db: Db): Promise<Db> {
  const r = await migrate(db, loadMigrations(DEFAULT_MIGRATIONS_DIR));
  if (!r.ok) throw new Error('migration failed');
  return db;
}

// ---------------------------------------------------------------------------------------------
// 2-5. Calls through the local wire-protocol server

const ask = { messages: [{ role: 'user' as const, content: 'Say hello.' }], maxOutputTokens: 20 };

async function serverDb(): Promise<{ db: Db; drop: () => Promise<void> } | undefined> {
  const pg = await import('pg');
  const admin = new pg.default.Client({ connectionString: `${PG_URL}/postgres` });
  try {
    await admin.connect();
  } catch {
    return undefined;
  }
  const server = await freshServerDb(admin, PG_URL);
  return {
    db: await migrated(server.db),
    drop: async () => {
      await server.drop();
      await admin.end();
    },
  };
}

async function calls(backend: 'pglite' | 'postgres') {
  const server = await startLlmTestServer();
  const s =
    backend === 'pglite'
      ? { db: await migrated(await createPgliteDb()), drop: async () => undefined }
      : await serverDb();
  if (!s) return { skipped: `no Postgres at ${PG_URL}` };
  const { db } = s;
  try {
    await applyCatalog(
      db,
      catalogSchema.parse({
        providers: [
          { id: 'main', kind: 'openai-compatible', baseUrl: `${server.url}/v1` },
          { id: 'dead', kind: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1' },
        ],
        models: [
          { provider: 'main', model: 'primary', capabilityClass: 'chat', contextWindow: 100_000 },
          { provider: 'main', model: 'secondary', capabilityClass: 'chat', contextWindow: 100_000 },
          { provider: 'dead', model: 'gone', capabilityClass: 'chat', contextWindow: 100_000 },
        ],
        policies: [{ service: 'bench', capabilityClass: 'chat', firstTokenTimeoutMs: 2000 }],
      }),
    );
    const resolveModel = createModelResolver({ db, actor: 'bench', timeoutMs: 10_000 });
    const client = (circuit?: { failures: number; halfOpenAfterMs: number }) =>
      createLlmClient({
        db,
        resolveModel,
        scoreVersion: 'v2',
        healthTtlMs: 86_400_000,
        ...(circuit ? { circuit } : {}),
      });
    server.script('primary', [{ reply: 'hello from the primary' }]);
    server.script('secondary', [{ reply: 'hello from the secondary' }]);

    // 2. Overhead: the same streamed request, through the adapter alone and through the layer.
    const direct = createOpenAICompatibleModel({
      provider: 'main',
      baseUrl: `${server.url}/v1`,
      model: 'primary',
    });
    const llm = client();
    const alone: number[] = [];
    const layered: number[] = [];
    const background: number[] = [];
    for (let i = 0; i < 520; i++) {
      let t0 = performance.now();
      for await (const _ of direct.stream(ask));
      const a = performance.now() - t0;
      t0 = performance.now();
      const r = await llm.complete('bench', ask, { intendedModel: 'main/primary' });
      const b = performance.now() - t0;
      // The health refresh runs after the answer; wait for it outside the timed part, so the next
      // direct call does not share the process with it, and time it apart.
      t0 = performance.now();
      await llm.idle();
      const c = performance.now() - t0;
      if (r.servedModelId !== 'main/primary') throw new Error(`served ${r.servedModelId}`);
      if (i >= 20) {
        alone.push(a);
        layered.push(b);
        background.push(c);
      }
    }
    const overhead = {
      adapterAlone: stats(alone),
      throughLayer: stats(layered),
      addedP50Ms: Math.round((stats(layered).p50 - stats(alone).p50) * 1000) / 1000,
      backgroundHealthRefresh: stats(background),
    };

    // 3. Hard failures: the intended deployment refuses connections, or answers 500.
    const fallbackAfter = async (intended: string, n: number) => {
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        const r = await client().complete('bench', ask, { intendedModel: intended });
        if (r.servedModelId === intended) throw new Error('no fallback');
        times.push(performance.now() - t0);
      }
      return stats(times);
    };
    const refused = await fallbackAfter('dead/gone', 20);
    server.script('primary', [{ status: 500 }]);
    const http500 = await fallbackAfter('main/primary', 20);

    // 4. A silent provider: headers, then nothing; the policy's first-token deadline is 2 s.
    server.script('primary', [{ hangBeforeFirstTokenMs: 30_000 }]);
    const silent = await fallbackAfter('main/primary', 5);

    // 5. Recovery: the primary fails until `recoverAt`, then answers; requests every 200 ms.
    server.script('primary', [{ status: 503 }]);
    const recovering = client({ failures: 5, halfOpenAfterMs: 10_000 });
    const start = performance.now();
    const recoverAtMs = 5000;
    let recovered = false;
    let backAfterMs: number | null = null;
    while (performance.now() - start < 45_000) {
      if (!recovered && performance.now() - start >= recoverAtMs) {
        server.script('primary', [{ reply: 'back' }]);
        recovered = true;
      }
      const r = await recovering.complete('bench', ask, { intendedModel: 'main/primary' });
      if (recovered && r.servedModelId === 'main/primary') {
        backAfterMs = performance.now() - start - recoverAtMs;
        break;
      }
      await new Promise((res) => setTimeout(res, 200));
    }
    return {
      overhead,
      fallback: { connectionRefused: refused, http500, silentAtDeadline2000Ms: silent },
      recovery: { halfOpenAfterMs: 10_000, recoverAtMs, backAfterMs },
      secondaryAlone: overhead.adapterAlone.p50,
    };
  } finally {
    await server.close();
    await s.drop();
    if (backend === 'pglite') await db.close();
  }
}

const started = performance.now();
const loadBefore = loadavg();
log('decision time (100 deployments)');
const decision = await decisionTime();
log('calls: PGlite');
const pglite = await calls('pglite');
log('calls: Postgres server');
const postgres = await calls('postgres');
const results = {
  revision: revision(),
  node: process.version,
  load: { before: loadBefore, after: loadavg() },
  wallS: Math.round((performance.now() - started) / 1000),
  decision,
  calls: { pglite, postgres },
};
writeFileSync(join(REPO, 'bench', 'llm', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
