/**
 * `npm run ci:smoke:distributed`: every role as a separate process (`cogo up`: gateway, metrics,
 * orchestrator, index worker, chat worker) against a real Postgres server (DATABASE_URL, or a new
 * database on the local server that is dropped after), then: index a fixture repository through
 * the index saga (POST /api/index), search it, ask through the gateway on an intended model and on
 * the router's own choice, with the local wire-protocol LLM server failing first (a 503 on one
 * deployment, a 429 on the other) so the answers must be retried or routed around. Writes
 * `smoke-output.json` with every check; exits 1 if any failed.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createPostgresDb } from '../src/db/index.ts';
import {
  applyCatalog,
  applyPrices,
  catalogSchema,
  createKeyVault,
  parseMasterKey,
} from '../src/llm/index.ts';
import { adminQuery, TEST_SERVER_URL } from '../test/helpers/databases.ts';
import { citationOfSymbol, contractReply } from '../test/helpers/llm-replies.ts';
import { startLlmTestServer } from '../test/helpers/llm-server.ts';
import { askOverHttp, openChatSession } from '../test/helpers/processes.ts';

const run = promisify(execFile);
const MAIN = new URL('../src/cli/main.ts', import.meta.url).pathname;
const FIXTURE = new URL('../test/fixtures/ts-basic', import.meta.url).pathname;
const OUTPUT = process.env.SMOKE_OUTPUT ?? 'smoke-output.json';

interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: unknown;
}
const checks: Check[] = [];
function check(name: string, ok: boolean, detail: unknown): boolean {
  checks.push({ name, ok, detail });
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${name}\n`);
  return ok;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Waits until `cogo up` has printed a listening line for each of these roles. */
function waitForRoles(
  child: ChildProcess,
  roles: readonly string[],
  timeoutMs: number,
): Promise<Map<string, string>> {
  const urls = new Map<string, string>();
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`roles did not start in ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      for (const m of out.matchAll(/^\[([\w-]+)(?:#\d+)?\] cogo [\w ]+ listening on (http:\/\/\S+)/gm))
        if (!urls.has(m[1]!)) urls.set(m[1]!, m[2]!);
      if (roles.every((r) => urls.has(r))) {
        clearTimeout(timer);
        resolve(urls);
      }
    });
    child.on('exit', (code) => reject(new Error(`cogo up exited with ${code}:\n${out}`)));
  });
}

async function json<T>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as T };
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const own = !process.env.DATABASE_URL;
  const dbName = `cogo_smoke_${randomBytes(4).toString('hex')}`;
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    await adminQuery(`create database ${dbName}`);
    const u = new URL(TEST_SERVER_URL);
    u.pathname = `/${dbName}`;
    databaseUrl = u.toString();
  }
  const repo = mkdtempSync(join(tmpdir(), 'cogo-smoke-'));
  cpSync(FIXTURE, repo, { recursive: true });
  const llm = await startLlmTestServer();
  const [gatewayPort, metricsPort] = [await freePort(), await freePort()];
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
    GATEWAY_PORT: String(gatewayPort),
    METRICS_PORT: String(metricsPort),
    CHAT_ANSWERER: 'llm',
    // The Anthropic deployment's key is read from the encrypted vault by the worker.
    COGO_VAULT_MASTER_KEY: randomBytes(32).toString('hex'),
    JOBS_LEASE_CHECK_SECONDS: '1',
  };
  let up: ChildProcess | undefined;
  try {
    await run(process.execPath, [MAIN, '--repo', repo, 'db', 'migrate'], { env });
    // Two deployments: beta is cheaper, so the router picks it unless a question asks for alpha.
    const db = await createPostgresDb({ connectionString: databaseUrl });
    await applyCatalog(
      db,
      catalogSchema.parse({
        providers: [
          { id: 'alpha', kind: 'openai-compatible', baseUrl: `${llm.url}/v1`, region: 'eu' },
          { id: 'beta', kind: 'anthropic', baseUrl: llm.url, region: 'eu', keyId: 'beta-key' },
        ],
        models: [
          { provider: 'alpha', model: 'm-a', capabilityClass: 'chat', contextWindow: 100_000 },
          { provider: 'beta', model: 'm-b', capabilityClass: 'chat', contextWindow: 100_000 },
        ],
        policies: [{ service: 'chat', capabilityClass: 'chat' }],
      }),
    );
    await applyPrices(db, {
      version: 'smoke-1',
      currency: 'USD',
      unit: 'per_million_tokens',
      models: { 'alpha/m-a': { input: 3, output: 15 }, 'beta/m-b': { input: 1, output: 5 } },
    });
    await createKeyVault(db, { masterKey: parseMasterKey(env.COGO_VAULT_MASTER_KEY) }).put(
      'beta-key',
      'sk-smoke-beta',
      {
        expectedVersion: 0,
        actor: 'smoke',
      },
    );
    await db.close();

    up = spawn(process.execPath, [MAIN, '--repo', repo, 'up'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let upErr = '';
    up.stderr!.on('data', (d: Buffer) => {
      upErr += d.toString();
    });
    const roles = ['gateway', 'metrics', 'orchestrator', 'worker-index', 'worker-chat'];
    const urls = await waitForRoles(up, roles, 90_000);
    check(
      'up: gateway, metrics, orchestrator, index worker and chat worker run as separate processes',
      roles.every((r) => urls.has(r)),
      Object.fromEntries(urls),
    );
    for (const [role, url] of urls) {
      const h = await json<{ ok: boolean; result?: { pid: number } }>(`${url}/healthz`);
      check(`health: ${role} answers /healthz`, h.status === 200 && h.body.ok, h.body);
    }
    const gateway = urls.get('gateway')!;

    // Index through the roles: POST /api/index records a request, the orchestrator runs its saga
    // (extract -> embed -> finalize), the index worker claims the steps.
    const posted = await json<{ result: { request: { id: string } } }>(`${gateway}/api/index`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    let request: { state: string } = { state: 'pending' };
    const t1 = Date.now();
    while (!['succeeded', 'failed', 'unchanged'].includes(request.state) && Date.now() - t1 < 120_000) {
      await new Promise((r) => setTimeout(r, 250));
      request = (
        await json<{ result: { state: string } }>(`${gateway}/api/index/${posted.body.result.request.id}`)
      ).body.result;
    }
    check(
      'index: POST /api/index runs the index saga through the orchestrator and the index worker',
      request.state === 'succeeded',
      request,
    );
    const graphDb = await createPostgresDb({ connectionString: databaseUrl });
    const citation = await citationOfSymbol(graphDb, 'sumAreas');
    const { rows: files } = await graphDb.query<{ n: number }>(
      "select count(*)::int as n from kg_files where status = 'indexed'",
    );
    await graphDb.close();
    check('index: the fixture repository is in the graph on the server', files[0]!.n === 4, files[0]);
    const reply = (model: string) => ({
      reply: '',
      json: contractReply(`\`sumAreas\` is defined in \`src/util.ts\` (answered by ${model}).`, [citation]),
    });
    llm.script('m-a', [{ status: 503, message: 'overloaded' }, reply('m-a')]);
    llm.script('m-b', [{ status: 429, message: 'slow down', retryAfter: '0' }, reply('m-b')]);

    const search = await json<{ result: { hits: Array<{ path: string; name: string; tags: string[] }> } }>(
      `${gateway}/api/search/code?q=sumAreas`,
    );
    const top = search.body.result.hits[0];
    check(
      'search: /api/search/code?q=sumAreas returns the function with its path and tags',
      top?.name === 'sumAreas' && top.path === 'src/util.ts' && top.tags.length > 0,
      top,
    );

    const sessionId = await openChatSession(gateway);
    const ask = async (content: string, intended?: string) => {
      const events = await askOverHttp(gateway, sessionId, content, undefined, intended);
      const final = events.at(-1)?.data as {
        message: { status: string; servedModel: string | null; intendedModel: string | null };
        response: { citations: unknown[] } | null;
      };
      return { events, final };
    };
    // First, while neither deployment has health data, the router's own choice: the cheaper beta.
    const routed = await ask('Where is sumAreas defined?');
    check(
      'chat: a question without an intended model is answered by the router’s choice despite a 429',
      routed.final.message.status === 'complete' && routed.final.message.servedModel === 'beta/m-b',
      routed.final.message,
    );
    const intended = await ask('Where is sumAreas defined?', 'alpha/m-a');
    check(
      'chat: the intended model answers after its 503 is retried, with a verified citation',
      intended.final.message.status === 'complete' &&
        intended.final.message.servedModel === 'alpha/m-a' &&
        (intended.final.response?.citations.length ?? 0) === 1,
      intended.final.message,
    );
    check(
      'chat: the answer streamed from the worker through the gateway',
      intended.events.some((e) => e.event === 'delta'),
      intended.events.map((e) => e.event),
    );
    const calls = (llm.requests as Array<{ model: string }>).map((r) => r.model);
    check(
      'llm: the 429 and the 503 were each followed by another call',
      calls.filter((m) => m === 'm-b').length >= 2 && calls.filter((m) => m === 'm-a').length >= 2,
      calls,
    );
    // The SDK sends the key as x-api-key or as a bearer token, depending on its version.
    const betaHeaders = (llm.requests as Array<{ model: string; headers: Record<string, unknown> }>).find(
      (r) => r.model === 'm-b',
    )?.headers;
    const betaKey = String(betaHeaders?.['x-api-key'] ?? betaHeaders?.authorization ?? '');
    check(
      'vault: the Anthropic deployment is called with its key from the vault',
      betaKey.includes('sk-smoke-beta'),
      {
        matched: betaKey.includes('sk-smoke-beta'),
      },
    );

    const metrics = urls.get('metrics')!;
    const summary = await json<{
      result: { chat: { answers: { complete: number } }; llm: { calls: number; failed: number } };
    }>(`${metrics}/api/metrics/summary?from=1h`);
    check(
      'metrics: the summary counts both answers and the failed LLM calls',
      summary.body.result.chat.answers.complete >= 2 && summary.body.result.llm.failed >= 2,
      summary.body.result,
    );
    const routing = await json<{ result: { chain: string[] } }>(
      `${metrics}/api/metrics/routing?service=chat`,
    );
    check(
      'metrics: /api/metrics/routing?service=chat ranks candidates',
      routing.body.result.chain.length >= 1,
      routing.body.result.chain,
    );
    const workerMetrics = await (await fetch(`${urls.get('worker-chat')}/metrics`)).text();
    check(
      'metrics: the chat worker counts its job claims',
      /cogo_jobs_claims_total\{[^}]*\} [1-9]/.test(workerMetrics),
      workerMetrics.split('\n').filter((l) => l.startsWith('cogo_jobs_claims')),
    );

    const exited = new Promise<number | null>((r) => up!.on('exit', r));
    up.kill('SIGTERM');
    const code = await Promise.race([
      exited,
      new Promise<string>((r) => setTimeout(() => r('timeout'), 45_000)),
    ]);
    check('up: every role drains and exits on SIGTERM', code === 0, { code, stderr: upErr.slice(-2000) });
    up = undefined;
  } catch (error) {
    check('smoke: ran to the end', false, error instanceof Error ? error.message : String(error));
  } finally {
    up?.kill('SIGKILL');
    await llm.close();
    if (own) await adminQuery(`drop database if exists ${dbName} with (force)`).catch(() => undefined);
  }
  const ok = checks.every((c) => c.ok);
  writeFileSync(
    OUTPUT,
    `${JSON.stringify({ ok, startedAt: new Date(t0).toISOString(), durationMs: Date.now() - t0, database: own ? `${dbName} (dropped)` : 'DATABASE_URL', checks }, null, 2)}\n`,
  );
  process.stdout.write(
    `${ok ? 'smoke ok' : 'smoke FAILED'}: ${checks.filter((c) => c.ok).length}/${checks.length} checks, ${OUTPUT}\n`,
  );
  return ok ? 0 : 1;
}

process.exitCode = await main();
