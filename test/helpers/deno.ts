import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

/** The Deno binary the `deno` npm package installed (no download: it ships per platform). */
export function denoBinary(): string {
  const require = createRequire(join(ROOT, 'package.json'));
  return join(dirname(require.resolve('@deno/linux-x64-glibc/package.json')), 'deno');
}

export interface RunningFunction {
  readonly url: string;
  readonly output: () => string;
  stop(): Promise<void>;
}

/**
 * Serves a Supabase Edge Function under real Deno on a free port (PORT=0) and waits until it
 * listens. `env` is the function's whole environment besides PATH and HOME.
 */
export async function serveEdgeFunction(name: string, env: Record<string, string>): Promise<RunningFunction> {
  const child: ChildProcess = spawn(
    denoBinary(),
    [
      'run',
      '--allow-net',
      '--allow-env',
      '--allow-read',
      '--allow-sys',
      join('supabase', 'functions', name, 'index.ts'),
    ],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        DENO_NO_UPDATE_CHECK: '1',
        PORT: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`deno did not start ${name} within 30 s:\n${output}`)),
      30_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /Listening on (http:\/\/[^\s/]+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`deno exited with ${code} before ${name} listened:\n${output}`));
    });
  });
  return {
    url,
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
