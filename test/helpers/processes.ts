import { type ChildProcess, spawn } from 'node:child_process';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

/** A `cogo` role running as its own process. */
export interface RoleProcess {
  readonly child: ChildProcess;
  /** The address it printed (`cogo <role> listening on http://...`). */
  readonly url: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

/** Starts `cogo <args>` and waits until it says where it listens. */
export function startRole(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs = 60_000,
): Promise<RoleProcess> {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cogo ${args.join(' ')} did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      resolve({ child, url: m[1]!, output: () => out, exited });
    };
    child.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`cogo ${args.join(' ')} exited with ${code} before listening:\n${out}`));
    });
  });
}

/** Reads a Server-Sent Events response to its end, or calls `onEvent` as events arrive. */
export async function readSse(
  res: Response,
  onEvent?: (e: { event: string; data: unknown }) => void,
): Promise<Array<{ event: string; data: unknown }>> {
  const events: Array<{ event: string; data: unknown }> = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      const lines = block.split('\n');
      const data = lines
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      if (!data) continue;
      const e = {
        event:
          lines
            .find((l) => l.startsWith('event:'))
            ?.slice(6)
            .trim() ?? 'message',
        data: JSON.parse(data) as unknown,
      };
      events.push(e);
      onEvent?.(e);
    }
  }
  return events;
}

/** Opens a chat session on a gateway (`POST /api/chat/sessions`) and returns its id. */
export async function openChatSession(gatewayUrl: string): Promise<string> {
  const res = await fetch(`${gatewayUrl}/api/chat/sessions`, { method: 'POST' });
  if (res.status !== 201) throw new Error(`POST /api/chat/sessions: HTTP ${res.status}`);
  return ((await res.json()) as { result: { id: string } }).result.id;
}

/** Asks a question in a session and reads the SSE answer to its end (`onEvent` as events arrive). */
export async function askOverHttp(
  gatewayUrl: string,
  sessionId: string,
  content: string,
  onEvent?: (e: { event: string; data: unknown }) => void,
  intendedModel?: string,
): Promise<Array<{ event: string; data: unknown }>> {
  const res = await fetch(`${gatewayUrl}/api/chat/sessions/${sessionId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ content, ...(intendedModel ? { intended_model: intendedModel } : {}) }),
  });
  if (res.status !== 200) throw new Error(`POST .../messages: HTTP ${res.status}`);
  return readSse(res, onEvent);
}
