/** SQL for `cogo_jobs` and `job_events` (supabase/migrations/00008_jobs.sql), one function per statement. */
import type { Envelope } from '../core/index.ts';
import type { Db } from '../db/index.ts';
import type { DlqReason, JobState } from './states.ts';

/** One job as cogo's state machine sees it. */
export interface JobRecord {
  readonly id: string;
  readonly queue: string;
  readonly idempotencyKey: string;
  readonly correlationId: string;
  readonly state: JobState;
  readonly queueJobId: string;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly reason: DlqReason | null;
  readonly lastError: string | null;
  readonly workerId: string | null;
  readonly leaseExpiresAt: Date | null;
  readonly envelope: Envelope<unknown>;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** One row of `job_events`. */
export interface JobEvent {
  readonly id: number;
  readonly jobId: string;
  readonly queue: string;
  readonly kind: 'transition' | 'conflict';
  readonly fromState: JobState | null;
  readonly toState: JobState;
  readonly attempt: number;
  readonly reason: DlqReason | null;
  readonly correlationId: string;
  readonly workerId: string | null;
  readonly detail: string | null;
  readonly at: Date;
}

const JOB_COLUMNS = `id, queue, idempotency_key as "idempotencyKey", correlation_id as "correlationId", state,
  queue_job_id as "queueJobId", attempt, max_attempts as "maxAttempts", reason, last_error as "lastError",
  worker_id as "workerId", lease_expires_at as "leaseExpiresAt", envelope, created_at as "createdAt",
  updated_at as "updatedAt"`;

const EVENT_COLUMNS = `id::int as id, job_id as "jobId", queue, kind, from_state as "fromState", to_state as "toState",
  attempt, reason, correlation_id as "correlationId", worker_id as "workerId", detail, at`;

/** Inserts a new queued job; returns false when its (queue, idempotency key) already exists. */
export async function insertJob(
  db: Db,
  job: { id: string; queue: string; queueJobId: string; maxAttempts: number; envelope: Envelope<unknown> },
): Promise<boolean> {
  const { rows } = await db.query(
    `insert into cogo_jobs (id, queue, idempotency_key, correlation_id, state, queue_job_id, max_attempts, envelope)
     values ($1, $2, $3, $4, 'queued', $5, $6, $7::jsonb)
     on conflict (queue, idempotency_key) do nothing
     returning id`,
    [
      job.id,
      job.queue,
      job.envelope.idempotency_key,
      job.envelope.correlation_id,
      job.queueJobId,
      job.maxAttempts,
      JSON.stringify(job.envelope),
    ],
  );
  return rows.length === 1;
}

/** The job with this idempotency key in `queue`, if any. */
export async function selectJobByKey(db: Db, queue: string, key: string): Promise<JobRecord | undefined> {
  const { rows } = await db.query<JobRecord>(
    `select ${JOB_COLUMNS} from cogo_jobs where queue = $1 and idempotency_key = $2`,
    [queue, key],
  );
  return rows[0];
}

/** The job, locked for the rest of the transaction when `forUpdate`. */
export async function selectJob(db: Db, id: string, forUpdate = false): Promise<JobRecord | undefined> {
  const { rows } = await db.query<JobRecord>(
    `select ${JOB_COLUMNS} from cogo_jobs where id = $1${forUpdate ? ' for update' : ''}`,
    [id],
  );
  return rows[0];
}

/** The job whose current run is the engine's job `queueJobId`, locked for the transaction. */
export async function selectJobByQueueJobId(db: Db, queueJobId: string): Promise<JobRecord | undefined> {
  const { rows } = await db.query<JobRecord>(
    `select ${JOB_COLUMNS} from cogo_jobs where queue_job_id = $1 for update`,
    [queueJobId],
  );
  return rows[0];
}

/** The fields a transition may change; omitted ones keep their value. */
export interface JobChanges {
  readonly state: JobState;
  readonly attempt?: number;
  readonly maxAttempts?: number;
  readonly reason?: DlqReason | null;
  readonly lastError?: string | null;
  readonly workerId?: string | null;
  readonly leaseExpiresAt?: Date | null;
  readonly queueJobId?: string;
}

/** Applies a transition's changes to the job row. */
export async function updateJob(db: Db, id: string, changes: JobChanges): Promise<void> {
  const has = (key: keyof JobChanges) => key in changes;
  await db.query(
    `update cogo_jobs set state = $2,
        attempt = case when $3 then $4::int else attempt end,
        max_attempts = case when $5 then $6::int else max_attempts end,
        reason = case when $7 then $8::text else reason end,
        last_error = case when $9 then $10::text else last_error end,
        worker_id = case when $11 then $12::text else worker_id end,
        lease_expires_at = case when $13 then $14::timestamptz else lease_expires_at end,
        queue_job_id = case when $15 then $16::uuid else queue_job_id end,
        updated_at = now()
      where id = $1`,
    [
      id,
      changes.state,
      has('attempt'),
      changes.attempt ?? null,
      has('maxAttempts'),
      changes.maxAttempts ?? null,
      has('reason'),
      changes.reason ?? null,
      has('lastError'),
      changes.lastError ?? null,
      has('workerId'),
      changes.workerId ?? null,
      has('leaseExpiresAt'),
      changes.leaseExpiresAt ?? null,
      has('queueJobId'),
      changes.queueJobId ?? null,
    ],
  );
}

/** Appends one event. */
export async function insertJobEvent(db: Db, event: Omit<JobEvent, 'id' | 'at'>): Promise<void> {
  await db.query(
    `insert into job_events (job_id, queue, kind, from_state, to_state, attempt, reason, correlation_id, worker_id, detail)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      event.jobId,
      event.queue,
      event.kind,
      event.fromState,
      event.toState,
      event.attempt,
      event.reason,
      event.correlationId,
      event.workerId,
      event.detail,
    ],
  );
}

/** A job's events in the order they happened. */
export async function selectJobEvents(db: Db, jobId: string): Promise<JobEvent[]> {
  const { rows } = await db.query<JobEvent>(
    `select ${EVENT_COLUMNS} from job_events where job_id = $1 order by id`,
    [jobId],
  );
  return rows;
}

/** Active jobs whose lease ran out before `now`, oldest first. */
export async function selectLapsedJobs(db: Db, queue: string, limit: number): Promise<JobRecord[]> {
  const { rows } = await db.query<JobRecord>(
    `select ${JOB_COLUMNS} from cogo_jobs
      where queue = $1 and state = 'active' and lease_expires_at < now()
      order by lease_expires_at limit $2`,
    [queue, limit],
  );
  return rows;
}

/** One entry of the DLQ, for listing before a redrive. */
export interface DeadJob {
  readonly id: string;
  readonly queue: string;
  readonly reason: DlqReason;
  readonly attempt: number;
  readonly lastError: string | null;
  readonly correlationId: string;
  readonly deadSince: Date;
}

/** Dead jobs, oldest first, filtered by reason and queue when given. */
export async function selectDeadJobs(
  db: Db,
  filter: { reason?: DlqReason | undefined; queue?: string | undefined; limit: number },
): Promise<DeadJob[]> {
  const { rows } = await db.query<DeadJob>(
    `select id, queue, reason, attempt, last_error as "lastError", correlation_id as "correlationId",
            updated_at as "deadSince"
       from cogo_jobs
      where state = 'dead' and ($1::text is null or reason = $1) and ($2::text is null or queue = $2)
      order by updated_at, id limit $3`,
    [filter.reason ?? null, filter.queue ?? null, filter.limit],
  );
  return rows;
}

/** The durable counters: claims, conflicts, retries and DLQ entries recorded in `[from, to)`. */
export interface JobCounts {
  readonly claims: number;
  readonly conflicts: number;
  readonly retries: number;
  readonly dlq: number;
}

/** Counts job events in a time window (both ends optional), across every process. */
export async function countJobEvents(
  db: Db,
  window: { from?: Date | undefined; to?: Date | undefined; queue?: string | undefined } = {},
): Promise<JobCounts> {
  const { rows } = await db.query<JobCounts>(
    `select count(*) filter (where kind = 'transition' and to_state = 'active')::int as claims,
            count(*) filter (where kind = 'conflict')::int as conflicts,
            count(*) filter (where kind = 'transition' and to_state = 'retrying')::int as retries,
            count(*) filter (where kind = 'transition' and to_state = 'dead')::int as dlq
       from job_events
      where ($1::timestamptz is null or at >= $1) and ($2::timestamptz is null or at < $2)
        and ($3::text is null or queue = $3)`,
    [window.from ?? null, window.to ?? null, window.queue ?? null],
  );
  return rows[0] ?? { claims: 0, conflicts: 0, retries: 0, dlq: 0 };
}
