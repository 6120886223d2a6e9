import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { copyFixture } from './helpers/repos.ts';

const run = promisify(execFile);
const MAIN = new URL('../src/cli/main.ts', import.meta.url).pathname;
const env = { ...process.env, LOG_LEVEL: 'silent', DATABASE_URL: '' };

async function cogo(cwd: string, args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [MAIN, ...args], { cwd, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Runs `cogo chat` with these lines on stdin. */
function chat(cwd: string, args: string[], input: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, 'chat', ...args], { cwd, env });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
    child.stdin.end(input);
  });
}

describe('cogo ask and cogo chat on the embedded database', () => {
  let repo: string;
  beforeAll(async () => {
    repo = copyFixture('ts-basic');
    expect((await cogo(repo, ['index'])).code).toBe(0);
  });

  it('streams an answer with its verified citations and the session id', async () => {
    const r = await cogo(repo, ['ask', 'Who calls sumAreas?']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/`sumAreas` is a function in `src\/util\.ts`/);
    expect(r.stdout).toMatch(/Citations \(verified\):\n {2}src\/util\.ts:\d+-17\n/);
    expect(r.stdout).toMatch(/ {2}src\/main\.ts:13-13/);
    expect(r.stdout).toMatch(/status answered, confidence 0\.9, answerer builtin, revisions 0/);
    expect(r.stdout).toMatch(/session [0-9a-f-]{36}/);
  });

  it('continues a session and prints the stored message as JSON', async () => {
    const first = JSON.parse((await cogo(repo, ['ask', 'Where is Circle defined?', '--json'])).stdout) as {
      session: { id: string };
      message: { seq: number; status: string; response: { status: string } };
    };
    expect(first.message).toMatchObject({ seq: 2, status: 'complete', response: { status: 'answered' } });
    const next = JSON.parse(
      (await cogo(repo, ['ask', 'What extends Base?', '--session', first.session.id, '--json'])).stdout,
    ) as { session: { id: string }; message: { seq: number } };
    expect(next.session.id).toBe(first.session.id);
    expect(next.message.seq).toBe(4);
    const missing = await cogo(repo, ['ask', 'x?', '--session', '00000000-0000-4000-8000-000000000000']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/SESSION_NOT_FOUND/);
  });

  it('chats interactively until an empty line, answering each question in one session', async () => {
    const r = await chat(repo, [], 'Who calls sumAreas?\nWhat does sumAreas return?\n\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/cogo chat, session ([0-9a-f-]{36})/);
    expect(r.stdout).toMatch(/It has 2 callers:/);
    expect(r.stdout).toMatch(/`sumAreas` returns `Promise<number>`/);
    const id = /cogo chat, session ([0-9a-f-]{36})/.exec(r.stdout)![1]!;
    const next = JSON.parse(
      (await cogo(repo, ['ask', 'Who calls run?', '--session', id, '--json'])).stdout,
    ) as {
      message: { seq: number };
    };
    expect(next.message.seq).toBe(6);
  });
});
