import { setTimeout as sleep } from 'node:timers/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { CogoError, errorMessage } from '../core/index.ts';
import type { Db } from '../db/index.ts';
import { createJobs, createSagas, type Jobs, type Sagas, withSagaPolicy } from '../jobs/index.ts';
import {
  describeTick,
  IndexOrchestrator,
  type IndexRequest,
  indexSaga,
  indexSagaHandlers,
  requestIndex,
  selectIndexRequest,
} from '../kg/index.ts';
import { collectProcessMetrics } from '../metrics/index.ts';
import { computeChunkCoverage, createEmbedder, indexSearch } from '../search/index.ts';
import { createRoleApp } from '../services/http/index.ts';
import { type CliContext, openMigratedDb, withDb } from './context.ts';
import { serveUntilSignal, serveWorker } from './role-commands.ts';

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('must be a port number');
  return n;
}

const FINISHED: readonly string[] = ['succeeded', 'failed', 'unchanged'];

interface IndexSagas {
  readonly jobs: Jobs;
  readonly sagas: Sagas;
  readonly saga: typeof indexSaga;
}

/** The job system of an index role, with the index saga registered at the configured lease (INDEX_LEASE_SECONDS). */
async function indexSagasFor(ctx: CliContext, db: Db): Promise<IndexSagas> {
  const jobs = await createJobs({
    db,
    logger: ctx.logger,
    leaseCheckIntervalSeconds: ctx.config.jobs.leaseCheckSeconds,
  });
  const sagas = createSagas({ db, jobs, logger: ctx.logger });
  const saga = withSagaPolicy(indexSaga, { leaseSeconds: ctx.config.index.leaseSeconds });
  await sagas.register(saga);
  return { jobs, sagas, saga };
}

/** The options of `cogo index`. */
export interface IndexCommandOptions {
  readonly full?: boolean;
  readonly json?: boolean;
  readonly search: boolean;
  readonly enqueue?: boolean;
  readonly requestId?: string;
  readonly wait?: boolean;
}

/** `cogo index --enqueue`: records the request for the orchestrator, and with `--wait` follows it to the end. */
export async function enqueueIndex(ctx: CliContext, root: string, opts: IndexCommandOptions): Promise<void> {
  // Embedded, the database belongs to this one process: no orchestrator or worker could open it.
  if (!ctx.config.databaseUrl)
    throw new CogoError(
      'INDEX_ENQUEUE_NEEDS_SERVER',
      'cogo index --enqueue needs DATABASE_URL (a Postgres server that cogo orchestrator and cogo worker index share); without it, run cogo index',
    );
  const result = await withDb(ctx, root, async (db) => {
    const { request, created } = await requestIndex(db, {
      root,
      full: opts.full,
      requestId: opts.requestId,
      source: 'cli',
    });
    let current: IndexRequest | undefined = request;
    while (opts.wait && current && !FINISHED.includes(current.state)) {
      await sleep(250);
      current = await selectIndexRequest(db, request.id);
    }
    return { request: current ?? request, created };
  });
  const r = result.request;
  if (opts.json) ctx.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else
    ctx.stdout.write(
      `index request ${r.id}: ${r.state}${result.created ? '' : ' (already recorded)'}${r.error ? ` (${r.error})` : ''}\n`,
    );
  if (opts.wait && r.state === 'failed') process.exitCode = 1;
}

/**
 * Adds `cogo worker index` under `worker` (the command `addRoleCommands` returns) and `cogo
 * orchestrator` to `program`.
 */
export function addIndexRoles(program: Command, worker: Command, ctx: CliContext, repo: () => string): void {
  worker
    .command('index')
    .description(
      'run index sagas: claim index.extract / index.embed / index.finalize jobs and compensations (METRICS_PORT: /healthz, /metrics)',
    )
    .option('--concurrency <n>', 'steps at once per job type', positive, 1)
    .option('--port <n>', 'port for /healthz and /metrics (default METRICS_PORT; 0: any free port)', port)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .action(async (opts: { concurrency: number; port?: number; host: string }) => {
      collectProcessMetrics();
      const db = await openMigratedDb(ctx, repo());
      const { jobs, sagas, saga } = await indexSagasFor(ctx, db);
      const embedder = createEmbedder(ctx.config.embedding);
      const maxFileBytes = ctx.config.maxFileBytes;
      const handlers = indexSagaHandlers({
        db,
        maxFileBytes,
        logger: ctx.logger,
        embed: (d, root) => indexSearch(d, { root, embedder, maxFileBytes }),
        chunkLines: computeChunkCoverage,
      });
      // Test hook: makes extraction slow enough to kill a worker in the middle of it.
      const delayMs = Number(process.env.COGO_TEST_EXTRACT_DELAY_MS ?? 0);
      const extract = handlers.steps.extract!;
      const steps = {
        ...handlers.steps,
        extract: async (c: Parameters<typeof extract>[0]) => {
          if (delayMs > 0) {
            ctx.stdout.write(`extract started ${c.envelope.id} attempt ${c.job.attempt}\n`);
            await sleep(delayMs);
          }
          return extract(c);
        },
      };
      sagas.work(
        saga,
        { ...handlers, steps },
        {
          concurrency: opts.concurrency,
          sweepIntervalMs: ctx.config.jobs.leaseCheckSeconds * 1000,
        },
      );
      await serveWorker(ctx, { role: 'worker index', db, jobs, ...opts });
    });

  program
    .command('orchestrator')
    .description(
      'turn index requests into index sagas (one run at a time per database, unchanged content skipped), repair stalled sagas, take back lapsed leases (METRICS_PORT)',
    )
    .option('--interval-ms <n>', 'how often to look for work', positive, 1000)
    .option('--port <n>', 'port for /healthz and /metrics (default METRICS_PORT; 0: any free port)', port)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .action(async (opts: { intervalMs: number; port?: number; host: string }) => {
      collectProcessMetrics();
      const db = await openMigratedDb(ctx, repo());
      const { jobs, sagas, saga } = await indexSagasFor(ctx, db);
      const orchestrator = new IndexOrchestrator({
        db,
        sagas,
        saga,
        maxFileBytes: ctx.config.maxFileBytes,
        logger: ctx.logger,
      });
      const stop = new AbortController();
      let ticks = 0;
      let lastError: string | undefined;
      const loop = (async () => {
        while (!stop.signal.aborted) {
          try {
            const tick = await orchestrator.tick();
            // Lapsed leases are pg-boss's; recording them here too means a dead step is noticed
            // (and its saga compensated) even when no index worker is alive.
            for (const step of saga.steps) {
              await jobs.sweepLapsed(step.job);
              if (step.compensation) await jobs.sweepLapsed(step.compensation);
            }
            ticks++;
            lastError = undefined;
            const said = describeTick(tick);
            if (said) ctx.logger.info({ role: 'orchestrator' }, said);
          } catch (error) {
            lastError = errorMessage(error);
            ctx.logger.error({ err: lastError, role: 'orchestrator' }, 'orchestrator tick failed; retrying');
          }
          await sleep(opts.intervalMs, undefined, { signal: stop.signal }).catch(() => undefined);
        }
      })();
      const app = createRoleApp({
        role: 'orchestrator',
        db,
        logger: ctx.logger,
        status: () => ({ draining: stop.signal.aborted, ticks, lastError }),
      });
      await serveUntilSignal(
        ctx,
        'orchestrator',
        app,
        opts.port ?? ctx.config.metricsPort,
        opts.host,
        async () => {
          stop.abort();
          await loop;
          await jobs.stop();
          await db.close();
        },
      );
    });
}
