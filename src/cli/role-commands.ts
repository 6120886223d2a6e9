import type { Command } from 'commander';
import type { Hono } from 'hono';
import { createRouter } from '../llm/index.ts';
import { collectProcessMetrics } from '../metrics/index.ts';
import { startGateway } from '../services/http/index.ts';
import { createMetricsApp } from '../services/metrics/index.ts';
import { type CliContext, openMigratedDb } from './context.ts';

function int(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new Error('must be a port number');
  return n;
}

/**
 * Serves `app` until SIGTERM or SIGINT, then runs `drain` (finish or release held work) and closes.
 * Prints one line with the bound address, which `cogo up` and the tests wait for.
 */
export async function serveUntilSignal(
  ctx: CliContext,
  role: string,
  app: Hono,
  port: number,
  host: string,
  drain: () => Promise<void>,
): Promise<void> {
  const server = await startGateway({ app, port, host });
  ctx.stdout.write(`cogo ${role} listening on http://${server.host}:${server.port} (pid ${process.pid})\n`);
  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      ctx.logger.info({ role, signal }, 'draining');
      void drain()
        .catch((error) => ctx.logger.error({ err: error, role }, 'drain failed'))
        .then(() => server.close())
        .then(done, done);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

/** `cogo metrics`: the metrics server role. */
export function addRoleCommands(program: Command, ctx: CliContext, repo: () => string): void {
  program
    .command('metrics')
    .description(
      'serve /metrics and /api/metrics/summary?from&to, /api/metrics/routing?service= (METRICS_PORT)',
    )
    .option('--port <n>', 'port (default METRICS_PORT)', int)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .action(async (opts: { port?: number; host: string }) => {
      collectProcessMetrics();
      const db = await openMigratedDb(ctx, repo());
      const app = createMetricsApp({
        db,
        router: createRouter({ db, ...ctx.config.llm }),
        logger: ctx.logger,
      });
      await serveUntilSignal(
        ctx,
        'metrics',
        app,
        opts.port ?? ctx.config.metricsPort,
        opts.host,
        async () => {
          await db.close();
        },
      );
    });
}
