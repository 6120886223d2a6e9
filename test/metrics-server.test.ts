import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBuiltinAnswerer, createChatService } from '../src/chat/index.ts';
import { indexRepository } from '../src/kg/index.ts';
import { createMetricsApp } from '../src/services/metrics/index.ts';
import { createMigratedDatabase, type TestDatabase } from './helpers/databases.ts';
import { copyFixture } from './helpers/repos.ts';

const MAIN = new URL('../src/cli/main.ts', import.meta.url).pathname;

describe('the metrics server', () => {
  let t: TestDatabase;
  let app: ReturnType<typeof createMetricsApp>;
  beforeAll(async () => {
    t = await createMigratedDatabase('pglite', 'metrics_server');
    const root = copyFixture('ts-basic');
    await indexRepository(t.db, { root, maxFileBytes: 1_000_000, full: true });
    const chat = createChatService({ db: t.db, root, answerer: createBuiltinAnswerer() });
    await chat.ask({ question: 'Who calls sumAreas?' });
    app = createMetricsApp({ db: t.db, summaryParts: { extra: async () => ({ n: 1 }) } });
  });
  afterAll(() => t?.dispose());

  it('summarises a window from the tables, the last 24 hours by default', async () => {
    const res = await app.request('/api/metrics/summary');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      result: { chat: { questions: number }; llm: { calls: number }; extra: unknown };
    };
    expect(body.result.chat.questions).toBe(1);
    expect(body.result.llm.calls).toBe(0);
    expect(body.result.extra).toEqual({ n: 1 });
    const old = (await (await app.request('/api/metrics/summary?from=2020-01-01&to=2020-01-02')).json()) as {
      result: { chat: { questions: number } };
    };
    expect(old.result.chat.questions).toBe(0);
    expect((await app.request('/api/metrics/summary?from=15m')).status).toBe(200);
  });

  it('refuses a malformed or backwards window', async () => {
    for (const q of ['from=yesterday', 'from=2h&to=3h', 'window=1h']) {
      const res = await app.request(`/api/metrics/summary?${q}`);
      expect(res.status, q).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_REQUEST');
    }
  });

  it('serves health and Prometheus metrics', async () => {
    const health = (await (await app.request('/healthz')).json()) as { result: { role: string } };
    expect(health.result.role).toBe('metrics');
    const metrics = await (await app.request('/metrics')).text();
    expect(metrics).toMatch(
      /cogo_chat_answer_duration_seconds_count\{answerer="builtin",status="answered"\} \d+/,
    );
  });
});

describe('cogo metrics as a process', () => {
  it('listens, answers, and exits cleanly on SIGTERM', async () => {
    const repo = copyFixture('ts-basic');
    const child = spawn(process.execPath, [MAIN, '--repo', repo, 'metrics', '--port', '0'], {
      env: { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: '' },
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    expect(((await (await fetch(`${url}/healthz`)).json()) as { ok: boolean }).ok).toBe(true);
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/cogo_process_cpu_seconds_total/);
    const summary = await fetch(`${url}/api/metrics/summary?from=1h`);
    expect(summary.status).toBe(200);
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
