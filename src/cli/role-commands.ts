import { type Command, InvalidArgumentError } from 'commander';
import type { Hono } from 'hono';
import { chatAnswerHandler, chatAnswerJob, chatAnswerKey } from '../chat/index.ts';
import type { Db } from '../db/index.ts';
import { createJobs, type Jobs } from '../jobs/index.ts';
import { createRouter } from '../llm/index.ts';
import { collectProcessMetrics } from '../metrics/index.ts';
import { createRoleApp, startGateway } from '../services/http/index.ts';
import { createMetricsApp } from '../services/metrics/index.ts';
import { chatServiceFor } from './chat-commands.ts';
import { type CliContext, openMigratedDb } from './context.ts';

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function int(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('must be a port number');
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

export interface ChatJobs {
  readonly jobs: Jobs;
  /** The chat job with the configured lease (every process must use the same: CHAT_LEASE_SECONDS). */
  readonly job: typeof chatAnswerJob;
}

/** The job system of a role process, with the chat job registered (producers and workers alike). */
export async function chatJobsFor(ctx: CliContext, db: Db): Promise<ChatJobs> {
  const jobs = await createJobs({
    db,
    logger: ctx.logger,
    leaseCheckIntervalSeconds: ctx.config.jobs.leaseCheckSeconds,
  });
  const job = {
    ...chatAnswerJob,
    policy: { ...chatAnswerJob.policy, leaseSeconds: ctx.config.chat.leaseSeconds },
  };
  await jobs.register(job);
  return { jobs, job };
}

/** What the gateway hands answers to when CHAT_EXECUTION=queue: a `chat.answer` job per message. */
export function queueDispatcher({ jobs, job }: ChatJobs): (messageId: string) => Promise<void> {
  return async (messageId) => {
    await jobs.enqueue(job, {
      source: 'gateway',
      target: 'worker.chat',
      payload: { messageId },
      idempotencyKey: chatAnswerKey(messageId),
    });
  };
}

/**
 * Serves a worker role's /healthz (503 while draining) and /metrics until SIGTERM or SIGINT; then
 * the jobs it runs finish and settle, nothing new is claimed, and the database closes.
 */
export async function serveWorker(
  ctx: CliContext,
  w: { role: string; db: Db; jobs: Jobs; concurrency: number; port?: number | undefined; host: string },
): Promise<void> {
  let draining = false;
  const app = createRoleApp({
    role: w.role.replace(' ', '-'),
    db: w.db,
    logger: ctx.logger,
    status: () => ({ draining, concurrency: w.concurrency }),
  });
  await serveUntilSignal(ctx, w.role, app, w.port ?? ctx.config.metricsPort, w.host, async () => {
    draining = true;
    await w.jobs.stop();
    await w.db.close();
  });
}

/**
 * `cogo metrics`, and `cogo worker chat`; `cogo worker` is the parent of every worker role, so
 * other workers add their subcommand to the command this returns.
 */
export function addRoleCommands(program: Command, ctx: CliContext, repo: () => string): Command {
  const worker = program.command('worker').description('worker roles: claim jobs from the queue in Postgres');
  worker
    .command('chat')
    .description(
      'answer chat messages: claim chat.answer jobs, stream answers over NOTIFY (METRICS_PORT: /healthz, /metrics)',
    )
    .option('--concurrency <n>', 'answers at once', positive, 2)
    .option('--port <n>', 'port for /healthz and /metrics (default METRICS_PORT; 0: any free port)', int)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .action(async (opts: { concurrency: number; port?: number; host: string }) => {
      collectProcessMetrics();
      const db = await openMigratedDb(ctx, repo());
      const { jobs, job } = await chatJobsFor(ctx, db);
      const chat = await chatServiceFor(ctx, db, repo(), `worker-chat:${process.pid}`);
      jobs.work(job, chatAnswerHandler(chat), {
        concurrency: opts.concurrency,
        sweepIntervalMs: ctx.config.jobs.leaseCheckSeconds * 1000,
      });
      await serveWorker(ctx, { role: 'worker chat', db, jobs, ...opts });
    });

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
  return worker;
}
