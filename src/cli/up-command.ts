import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Command, InvalidArgumentError } from 'commander';
import { CogoError } from '../core/index.ts';
import { DEFAULT_MIGRATIONS_DIR, loadMigrations, migrate, openDb } from '../db/index.ts';
import type { CliContext } from './context.ts';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
// A role that exits this many times within a minute is not restarted again; `cogo up` stops.
const MAX_RESTARTS_PER_MINUTE = 5;
const STOP_TIMEOUT_MS = 30_000;

/** One role `cogo up` runs: its arguments after `cogo --repo <root>`, and how many processes. */
export interface UpRole {
  readonly name: string;
  readonly args: readonly string[];
  readonly count: number;
}

function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 64)
    throw new InvalidArgumentError('must be an integer from 0 to 64');
  return n;
}

interface Running {
  readonly role: UpRole;
  readonly index: number;
  child: ChildProcess;
  readonly exits: number[];
}

/**
 * Runs every role as a child process against one database server, restarting one that dies (up to
 * five times a minute), and stops them all with SIGTERM (then SIGKILL after 30 s) on SIGTERM or
 * SIGINT. Each child's output is passed on, each line prefixed with its role.
 */
async function runRoles(
  ctx: CliContext,
  root: string,
  roles: readonly UpRole[],
  env: NodeJS.ProcessEnv,
): Promise<number> {
  const running: Running[] = [];
  let stopping = false;
  let failed = false;
  let resolveDone: () => void = () => undefined;
  const allExited = new Promise<void>((r) => {
    resolveDone = r;
  });
  const alive = () => running.filter((r) => r.child.exitCode === null && r.child.signalCode === null);

  const start = (r: Omit<Running, 'child'> & { child?: ChildProcess }): Running => {
    const label = r.role.count > 1 ? `${r.role.name}#${r.index + 1}` : r.role.name;
    const child = spawn(process.execPath, [MAIN, '--repo', root, ...r.role.args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [child.stdout!, child.stderr!])
      createInterface({ input: stream }).on('line', (line) => ctx.stdout.write(`[${label}] ${line}\n`));
    const entry = r as Running;
    entry.child = child;
    child.on('exit', (code, signal) => {
      if (stopping) {
        if (alive().length === 0) resolveDone();
        return;
      }
      const now = Date.now();
      entry.exits.push(now);
      const recent = entry.exits.filter((t) => now - t < 60_000).length;
      ctx.stderr.write(
        `cogo up: ${label} exited (${signal ?? code}); ${recent <= MAX_RESTARTS_PER_MINUTE ? 'restarting' : 'giving up'}\n`,
      );
      if (recent > MAX_RESTARTS_PER_MINUTE) {
        failed = true;
        stop();
        return;
      }
      setTimeout(
        () => {
          if (!stopping) start(entry);
        },
        1000 * Math.min(30, 2 ** (recent - 1)),
      );
    });
    return entry;
  };

  const stop = () => {
    if (stopping) return;
    stopping = true;
    const live = alive();
    if (live.length === 0) resolveDone();
    for (const r of live) r.child.kill('SIGTERM');
    setTimeout(() => {
      for (const r of alive()) r.child.kill('SIGKILL');
    }, STOP_TIMEOUT_MS).unref();
  };

  for (const role of roles)
    for (let index = 0; index < role.count; index++) running.push(start({ role, index, exits: [] }));
  ctx.stdout.write(
    `cogo up: ${running.length} processes (${roles
      .filter((r) => r.count > 0)
      .map((r) => `${r.count} ${r.name}`)
      .join(', ')})\n`,
  );
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  await allExited;
  return failed ? 1 : 0;
}

/** `cogo up`: every role as child processes against one Postgres server (`DATABASE_URL`). */
export function addUpCommand(program: Command, ctx: CliContext, repo: () => string): void {
  program
    .command('up')
    .description(
      'run every role as child processes against DATABASE_URL (gateway, orchestrator, index and chat workers, metrics); Ctrl-C stops them',
    )
    .option('--chat-workers <n>', 'cogo worker chat processes', count, 1)
    .option('--index-workers <n>', 'cogo worker index processes', count, 1)
    .option(
      '--gateways <n>',
      'cogo gateway processes (the first on GATEWAY_PORT, others on any free port)',
      count,
      1,
    )
    .action(async (opts: { chatWorkers: number; indexWorkers: number; gateways: number }) => {
      if (!ctx.config.databaseUrl)
        throw new CogoError(
          'CONFIG_INVALID',
          'cogo up runs separate processes on one database: set DATABASE_URL to a Postgres server (the embedded PGlite database belongs to one process; use cogo gateway for that)',
        );
      // The all-in-one start brings the schema up to date first (the roles refuse a stale one).
      const db = await openDb({ databaseUrl: ctx.config.databaseUrl, repoRoot: repo() });
      try {
        const report = await migrate(db, loadMigrations(DEFAULT_MIGRATIONS_DIR));
        if (!report.ok)
          throw new CogoError(
            'DB_MIGRATION_FAILED',
            `migration failed: ${report.results.find((r) => !r.ok)?.error}`,
          );
      } finally {
        await db.close();
      }
      const roles: UpRole[] = [
        { name: 'metrics', args: ['metrics', '--port', String(ctx.config.metricsPort)], count: 1 },
        {
          name: 'gateway',
          args: ['gateway', '--port', String(ctx.config.gatewayPort)],
          count: Math.min(1, opts.gateways),
        },
        { name: 'gateway', args: ['gateway', '--port', '0'], count: Math.max(0, opts.gateways - 1) },
        { name: 'orchestrator', args: ['orchestrator', '--port', '0'], count: 1 },
        { name: 'worker-index', args: ['worker', 'index', '--port', '0'], count: opts.indexWorkers },
        { name: 'worker-chat', args: ['worker', 'chat', '--port', '0'], count: opts.chatWorkers },
      ];
      // The gateways hand answers to the chat workers.
      const env = { ...process.env, CHAT_EXECUTION: 'queue' };
      process.exitCode = await runRoles(ctx, repo(), roles, env);
    });
}
