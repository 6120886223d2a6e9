import type { Logger } from '../core/index.ts';
import type { Db } from '../db/index.ts';
import { Jobs } from './jobs.ts';
import { createPgBossQueue } from './pg-boss-queue.ts';

export interface CreateJobsOptions {
  /** A top-level `Db` (embedded PGlite or a server); its migrations must include 00008_jobs. */
  readonly db: Db;
  /** Transitions are logged here (info), with the job's correlation id; conflicts at warn. */
  readonly logger?: Logger | undefined;
  /** How often the engine takes back expired leases (default 30 s): a lapsed job waits up to this long. */
  readonly leaseCheckIntervalSeconds?: number | undefined;
}

/**
 * Starts the job system of this process on pg-boss: the engine's schema is installed or migrated
 * on the way. Register job types, then enqueue and work.
 *
 * @example
 * const jobs = await createJobs({ db, logger });
 * const indexProjectJob = defineJob(indexProject, { maxAttempts: 5, leaseSeconds: 600 });
 * await jobs.register(indexProjectJob);
 * await jobs.enqueue(indexProjectJob, { source: 'orchestrator', target: 'worker.index', payload, idempotencyKey });
 * jobs.work(indexProjectJob, async (envelope, { logger }) => indexProject(envelope.payload, logger));
 * // ... on shutdown:
 * await jobs.stop();
 */
export async function createJobs(options: CreateJobsOptions): Promise<Jobs> {
  const queue = await createPgBossQueue({
    db: options.db,
    logger: options.logger,
    leaseCheckIntervalSeconds: options.leaseCheckIntervalSeconds,
  });
  return new Jobs(options.db, queue, options.logger);
}
