import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SCRIPT = new URL('../scripts/smoke-distributed.ts', import.meta.url).pathname;

// The distributed smoke as CI runs it: every role a process on a new server database.
describe('npm run ci:smoke:distributed', () => {
  it('passes every check and writes smoke-output.json', { timeout: 240_000 }, async () => {
    const output = join(mkdtempSync(join(tmpdir(), 'cogo-smoke-out-')), 'smoke-output.json');
    const { DATABASE_URL: _own, ...inherited } = process.env;
    const env = { ...inherited, SMOKE_OUTPUT: output };
    const result = await run(process.execPath, [SCRIPT], { env, timeout: 230_000 }).catch(
      (error: { stdout?: string; code?: number }) => ({ stdout: error.stdout ?? '', code: error.code }),
    );
    const report = JSON.parse(readFileSync(output, 'utf8')) as {
      ok: boolean;
      checks: Array<{ name: string; ok: boolean }>;
    };
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.checks.length).toBeGreaterThanOrEqual(18);
    expect(result.stdout).toMatch(/smoke ok/);
  });
});
