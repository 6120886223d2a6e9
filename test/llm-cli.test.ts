import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { type LlmTestServer, startLlmTestServer } from './helpers/llm-server.ts';

const run = promisify(execFile);
const MAIN = new URL('../src/cli/main.ts', import.meta.url).pathname;

describe('cogo llm: catalog, health, costs and select from the command line (server database)', () => {
  let t: TestDatabase;
  let server: LlmTestServer;
  let dir: string;

  const cogo = async (args: string[], env: Record<string, string> = {}) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], {
        cwd: dir,
        env: { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: t.url!, ...env },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  // The secret goes in on standard input, as `cogo llm key put` reads it.
  const cogoWithInput = (args: string[], input: string, env: Record<string, string>) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [MAIN, ...args], {
        cwd: dir,
        env: { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: t.url!, ...env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(input);
    });

  beforeAll(async () => {
    t = await createMigratedDatabase('postgres', 'llm_cli');
    server = await startLlmTestServer();
    dir = mkdtempSync(join(tmpdir(), 'cogo-llm-cli-'));
    writeFileSync(
      join(dir, 'catalog.json'),
      JSON.stringify({
        providers: [{ id: 'local', kind: 'openai-compatible', baseUrl: `${server.url}/v1`, region: 'lab' }],
        models: [
          { provider: 'local', model: 'good', capabilityClass: 'chat', contextWindow: 32000 },
          { provider: 'local', model: 'broken', capabilityClass: 'chat', contextWindow: 32000 },
          { provider: 'local', model: 'silent', capabilityClass: 'chat', contextWindow: 32000 },
        ],
        policies: [{ service: 'chat', capabilityClass: 'chat', maxErrorRate: 0.5 }],
      }),
    );
    writeFileSync(
      join(dir, 'prices.json'),
      JSON.stringify({
        version: 'test-2026-11',
        currency: 'USD',
        unit: 'per_million_tokens',
        models: {
          'local/good': { input: 1, output: 2 },
          'local/broken': { input: 3, output: 4 },
          'else/where': { input: 1, output: 1 },
        },
      }),
    );
  });
  afterAll(async () => {
    await server?.close();
    await t?.dispose();
  });

  it('applies a catalog, and rejects an invalid one naming the file and the field', async () => {
    const ok = await cogo(['llm', 'catalog', 'catalog.json']);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.stdout).toContain('applied 1 providers, 3 models, 1 policies');
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ models: [{ provider: 'local' }] }));
    const bad = await cogo(['llm', 'catalog', 'bad.json']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/INVALID_INPUT: the catalog .*bad\.json is invalid/);
    expect(bad.stderr).toMatch(/model/);
  });

  it('probes every deployment, counting HTTP errors and timeouts apart in provider_health', async () => {
    server.script('good', [{ reply: 'OK', usage: { input: 20, output: 1 } }]);
    server.script('broken', [{ status: 500 }]);
    server.script('silent', [{ hangBeforeFirstTokenMs: 5000 }]);
    const r = await cogo(['llm', 'health', '--timeout', '500', '--json']);
    expect(r.code).toBe(0);
    const probes = JSON.parse(r.stdout) as Array<{
      modelId: string;
      outcome: string;
      errorCode: string | null;
    }>;
    expect(Object.fromEntries(probes.map((p) => [p.modelId, p.errorCode ?? p.outcome]))).toEqual({
      'local/good': 'ok',
      'local/broken': 'LLM_HTTP_ERROR',
      'local/silent': 'LLM_FIRST_TOKEN_TIMEOUT',
    });
    const { rows } = await t.db.query<{
      model_id: string;
      samples: number;
      http_errors: number;
      timeouts: number;
      error_rate: number;
    }>('select model_id, samples, http_errors, timeouts, error_rate from provider_health order by model_id');
    expect(rows).toEqual([
      { model_id: 'local/broken', samples: 1, http_errors: 1, timeouts: 0, error_rate: 0.8 },
      { model_id: 'local/good', samples: 1, http_errors: 0, timeouts: 0, error_rate: 0 },
      { model_id: 'local/silent', samples: 1, http_errors: 0, timeouts: 1, error_rate: 0.8 },
    ]);
  });

  it('ranks with the fresh health: score v1 drops deployments over the policy’s error rate', async () => {
    const r = await cogo(['llm', 'select', 'chat', '--json']);
    const rank = JSON.parse(r.stdout) as {
      chain: string[];
      candidates: Array<{ modelId: string; filtered?: string }>;
    };
    expect(rank.chain).toEqual(['local/good']);
    expect(rank.candidates.filter((c) => c.filtered).map((c) => [c.modelId, c.filtered])).toEqual([
      ['local/broken', 'max_error_rate'],
      ['local/silent', 'max_error_rate'],
    ]);
    // With health older than HEALTH_TTL_MIN it is unknown, not healthy: nothing is dropped for it.
    const stale = await cogo(['llm', 'select', 'chat', '--json'], { HEALTH_TTL_MIN: '0.0001' });
    expect((JSON.parse(stale.stdout) as { chain: string[] }).chain).toHaveLength(3);
  });

  it('sets prices from the versioned price file and prints spend by service and model', async () => {
    const r = await cogo(['llm', 'costs', '--prices', 'prices.json', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      prices: { version: string; updated: string[]; unknown: string[]; unpriced: string[] };
      spend: Array<{ service: string; modelId: string; calls: number; failed: number; tokensIn: number }>;
    };
    expect(report.prices).toEqual({
      version: 'test-2026-11',
      updated: ['local/broken', 'local/good'],
      unknown: ['else/where'],
      unpriced: ['local/silent'],
    });
    const { rows } = await t.db.query<{ input_price_per_token: string; price_version: string }>(
      "select input_price_per_token, price_version from llm_models where id = 'local/good'",
    );
    expect(Number(rows[0]!.input_price_per_token)).toBe(1e-6);
    expect(rows[0]!.price_version).toBe('test-2026-11');
    expect(report.spend.find((s) => s.modelId === 'local/good')).toMatchObject({
      service: '_probe',
      calls: 1,
      failed: 0,
      tokensIn: 20,
    });
    expect(report.spend.find((s) => s.modelId === 'local/broken')).toMatchObject({ calls: 1, failed: 1 });
    const text = await cogo(['llm', 'costs', '--no-prices', '--since', '1h']);
    expect(text.stdout).toMatch(/_probe\s+local\/good\s+1 calls\s+0 failed\s+20 in\s+1 out/);
    expect((await cogo(['llm', 'costs', '--since', 'soon'])).stderr).toMatch(/use a number with m, h or d/);
  });

  it('stores a provider key from standard input in the vault, and probes the provider with it', async () => {
    const vaultEnv = { COGO_VAULT_MASTER_KEY: Buffer.alloc(32, 3).toString('hex') };
    const secret = 'sk-from-stdin-never-on-the-command-line';
    const put = await cogoWithInput(
      ['llm', 'key', 'put', 'lab-key', '--expected-version', '0'],
      `${secret}\n`,
      vaultEnv,
    );
    expect(put).toMatchObject({ code: 0, stdout: 'stored lab-key version 1\n' });
    const list = await cogo(['llm', 'key', 'list'], vaultEnv);
    expect(list.stdout).toContain('"id":"lab-key","version":1');
    expect(list.stdout).not.toContain(secret);
    await t.db.query("update llm_providers set key_id = 'lab-key' where id = 'local'");
    server.reset();
    server.script('good', [{ reply: 'OK' }]);
    server.script('broken', [{ reply: 'OK' }]);
    server.script('silent', [{ reply: 'OK' }]);
    const probe = await cogo(['llm', 'health'], vaultEnv);
    expect(probe.code).toBe(0);
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([
      `Bearer ${secret}`,
      `Bearer ${secret}`,
      `Bearer ${secret}`,
    ]);
    // Without the master key, the keyed provider's probes fail with a clear reason instead of a crash.
    const noVault = await cogo(['llm', 'health', '--json']);
    expect(noVault.code).toBe(0);
    expect(
      (JSON.parse(noVault.stdout) as Array<{ errorCode: string }>).every((p) => p.errorCode === 'LLM_AUTH'),
    ).toBe(true);
    const stale = await cogoWithInput(
      ['llm', 'key', 'put', 'lab-key', '--expected-version', '0'],
      'x',
      vaultEnv,
    );
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/VAULT_CONFLICT: key lab-key is at version 1, not 0/);
  });
});
