import { type Db as BossDb, fromPglite, type JobWithMetadata, PgBoss } from 'pg-boss';
import type { Logger } from '../core/index.ts';
import { connectionStringOf, type Db, pgliteInstanceOf } from '../db/index.ts';
import { JobError } from './errors.ts';
import type { AttemptRef, ClaimedJob, EngineJob, Queue, QueuePolicy } from './queue.ts';

/** What `createPgBossQueue` needs: the database, and how often pg-boss checks leases. */
export interface PgBossQueueOptions {
  /** A top-level `Db` from `createPgliteDb` or `createPostgresDb` (not a transaction handle). */
  readonly db: Db;
  readonly logger?: Logger | undefined;
  /**
   * How often pg-boss takes back expired leases (default 30 s). pg-boss looks at a queue's leases
   * at most this often, even when `expireLapsed` asks sooner.
   */
  readonly leaseCheckIntervalSeconds?: number | undefined;
  /** Connections of pg-boss's own pool on a server (default 3). */
  readonly maxConnections?: number | undefined;
}

// pg-boss 12.38's declarations leave CommandResponse empty; at run time it carries `affected`.
function affected(response: object): number {
  return (response as { affected?: number }).affected ?? 0;
}

/** pg-boss's database interface over one of our handles, so its statements join our transaction. */
function bossDbOver(db: Db): BossDb {
  return {
    executeSql: async (text, values) => db.query(text, values ?? []),
  };
}

const ENGINE_STATES: Record<JobWithMetadata['state'], EngineJob['state']> = {
  created: 'waiting',
  retry: 'retry',
  active: 'active',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
};

class PgBossQueue implements Queue {
  readonly #boss: PgBoss;

  constructor(boss: PgBoss) {
    this.#boss = boss;
  }

  async ensureQueue(name: string, policy: QueuePolicy): Promise<void> {
    const options = {
      retryLimit: policy.maxAttempts - 1,
      retryDelay: policy.retryDelaySeconds,
      retryBackoff: true,
      retryDelayMax: policy.retryDelayMaxSeconds,
      expireInSeconds: policy.leaseSeconds,
    };
    await this.#engine(`ensure queue ${name}`, async () => {
      if (await this.#boss.getQueue(name)) await this.#boss.updateQueue(name, options);
      else await this.#boss.createQueue(name, options);
    });
  }

  async send(
    db: Db,
    name: string,
    job: { readonly queueJobId: string; readonly data: object },
  ): Promise<void> {
    const id = await this.#engine(`send to ${name}`, () =>
      this.#boss.send(name, job.data, { id: job.queueJobId, db: bossDbOver(db) }),
    );
    if (id === null) throw new JobError('JOB_QUEUE_FAILED', `pg-boss did not accept job ${job.queueJobId}`);
  }

  async claim(db: Db, name: string): Promise<ClaimedJob | undefined> {
    const [job] = await this.#engine(`claim from ${name}`, () =>
      this.#boss.fetch<unknown>(name, { batchSize: 1, includeMetadata: true, db: bossDbOver(db) }),
    );
    if (!job) return undefined;
    return {
      queueJobId: job.id,
      data: job.data,
      attempt: job.retryCount + 1,
      maxAttempts: job.retryLimit + 1,
      leaseSeconds: job.expireInSeconds,
    };
  }

  async complete(db: Db, name: string, ref: AttemptRef): Promise<boolean> {
    const response = await this.#engine(`complete in ${name}`, () =>
      this.#boss.complete(name, this.#fence(ref), null, { db: bossDbOver(db) }),
    );
    return affected(response) === 1;
  }

  async retry(db: Db, name: string, ref: AttemptRef, error: string): Promise<Date | undefined> {
    const bossDb = bossDbOver(db);
    const response = await this.#engine(`fail in ${name}`, () =>
      this.#boss.fail(name, this.#fence(ref), { error }, { db: bossDb }),
    );
    if (affected(response) !== 1) return undefined;
    const [job] = await this.#boss.findJobs(name, { id: ref.queueJobId, db: bossDb });
    return job?.startAfter ?? new Date();
  }

  async remove(db: Db, name: string, ref: AttemptRef): Promise<boolean> {
    const response = await this.#engine(`delete in ${name}`, () =>
      this.#boss.deleteJob(name, this.#fence(ref), { db: bossDbOver(db) }),
    );
    return affected(response) === 1;
  }

  async cancel(db: Db, name: string, queueJobId: string): Promise<boolean> {
    const response = await this.#engine(`cancel in ${name}`, () =>
      this.#boss.cancel(name, queueJobId, { db: bossDbOver(db) }),
    );
    return affected(response) === 1;
  }

  async find(name: string, queueJobId: string): Promise<EngineJob | undefined> {
    const [job] = await this.#engine(`find in ${name}`, () => this.#boss.findJobs(name, { id: queueJobId }));
    if (!job) return undefined;
    // retryCount names the attempt that holds or last held it, and moves on only at the next claim.
    return { state: ENGINE_STATES[job.state], attempt: job.retryCount + 1, runAfter: job.startAfter };
  }

  async expireLapsed(name: string): Promise<void> {
    await this.#engine(`supervise ${name}`, () => this.#boss.supervise(name));
  }

  async stop(): Promise<void> {
    await this.#boss.stop({ graceful: false, close: true, timeout: 5000 });
  }

  #fence(ref: AttemptRef): { id: string; retryCount: number } {
    return { id: ref.queueJobId, retryCount: ref.attempt - 1 };
  }

  async #engine<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (cause) {
      if (cause instanceof JobError) throw cause;
      const retryable = (cause as { isRetryable?: unknown }).isRetryable === true;
      throw new JobError('JOB_QUEUE_FAILED', `pg-boss: ${what} failed`, { cause, isRetryable: retryable });
    }
  }
}

/**
 * Starts pg-boss on the database behind `db` and returns it as a `Queue`. Embedded, pg-boss runs on
 * the same PGlite instance (`fromPglite`); on a server it opens a small pool of its own from the
 * connection string. pg-boss installs or migrates its schema (`pgboss`) on start.
 */
export async function createPgBossQueue(options: PgBossQueueOptions): Promise<Queue> {
  const pglite = pgliteInstanceOf(options.db);
  const connectionString = connectionStringOf(options.db);
  if (!pglite && !connectionString)
    throw new JobError('JOB_QUEUE_FAILED', 'pg-boss needs a Db from createPgliteDb or createPostgresDb');
  const common = {
    schedule: false,
    // Expiry runs in pg-boss's per-queue monitor, which runs at most every monitorIntervalSeconds.
    superviseIntervalSeconds: options.leaseCheckIntervalSeconds ?? 30,
    monitorIntervalSeconds: options.leaseCheckIntervalSeconds ?? 30,
    registerInstance: false,
    openTelemetry: { enabled: false },
  };
  const boss = pglite
    ? new PgBoss({ ...common, db: fromPglite(pglite), backend: 'pglite' })
    : new PgBoss({ ...common, connectionString: connectionString!, max: options.maxConnections ?? 3 });
  boss.on('error', (error) => options.logger?.error({ err: error }, 'pg-boss error'));
  boss.on('warning', (warning) => options.logger?.warn({ warning }, 'pg-boss warning'));
  try {
    await boss.start();
  } catch (cause) {
    throw new JobError('JOB_QUEUE_FAILED', 'pg-boss could not start', { cause, isRetryable: true });
  }
  return new PgBossQueue(boss);
}
