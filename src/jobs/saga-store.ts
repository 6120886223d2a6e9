/** SQL for `cogo_sagas` (supabase/migrations/00009_sagas.sql), one function per statement. */
import type { Db } from '../db/index.ts';

/** The states of a saga (docs/specs/JOB_STATE_MACHINE_V1.md, "Sagas"). */
export const SAGA_STATES = [
  'running',
  'succeeded',
  'compensating',
  'compensated',
  'compensation_failed',
] as const;
export type SagaState = (typeof SAGA_STATES)[number];

/** One saga run as stored. */
export interface SagaRecord {
  readonly id: string;
  readonly name: string;
  readonly idempotencyKey: string;
  readonly correlationId: string;
  readonly state: SagaState;
  /** The step running now, or the step whose compensation is running now; null once finished. */
  readonly currentStep: string | null;
  readonly input: unknown;
  /** What each completed step returned, by step name. */
  readonly outputs: Readonly<Record<string, unknown>>;
  /** Steps whose compensation completed, in the order they ran. */
  readonly compensated: readonly string[];
  readonly failedStep: string | null;
  readonly error: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

const SAGA_COLUMNS = `id, name, idempotency_key as "idempotencyKey", correlation_id as "correlationId", state,
  current_step as "currentStep", input, outputs, compensated, failed_step as "failedStep", error,
  created_at as "createdAt", updated_at as "updatedAt"`;

/** Inserts a new running saga at its first step; returns false when (name, key) already exists. */
export async function insertSaga(
  db: Db,
  saga: {
    id: string;
    name: string;
    idempotencyKey: string;
    correlationId: string;
    step: string;
    input: unknown;
  },
): Promise<boolean> {
  const { rows } = await db.query(
    `insert into cogo_sagas (id, name, idempotency_key, correlation_id, state, current_step, input)
     values ($1, $2, $3, $4, 'running', $5, $6::jsonb)
     on conflict (name, idempotency_key) do nothing
     returning id`,
    [saga.id, saga.name, saga.idempotencyKey, saga.correlationId, saga.step, JSON.stringify(saga.input)],
  );
  return rows.length === 1;
}

/** The saga with this id, if any. */
export async function selectSaga(db: Db, id: string): Promise<SagaRecord | undefined> {
  const { rows } = await db.query<SagaRecord>(`select ${SAGA_COLUMNS} from cogo_sagas where id = $1`, [id]);
  return rows[0];
}

/** The saga of `name` started with this idempotency key, if any. */
export async function selectSagaByKey(db: Db, name: string, key: string): Promise<SagaRecord | undefined> {
  const { rows } = await db.query<SagaRecord>(
    `select ${SAGA_COLUMNS} from cogo_sagas where name = $1 and idempotency_key = $2`,
    [name, key],
  );
  return rows[0];
}

/**
 * Records `step`'s output and moves on to `next` (or to `succeeded` when there is none), if the saga
 * is still running that step. Returns false when it was not (another run of the step got there first).
 */
export async function completeSagaStep(
  db: Db,
  id: string,
  step: string,
  output: unknown,
  next: string | null,
): Promise<boolean> {
  const { rows } = await db.query(
    `update cogo_sagas
        set outputs = outputs || jsonb_build_object($2::text, $3::jsonb),
            current_step = $4,
            state = case when $4::text is null then 'succeeded' else 'running' end,
            updated_at = now()
      where id = $1 and state = 'running' and current_step = $2
      returning id`,
    [id, step, JSON.stringify(output ?? null), next],
  );
  return rows.length === 1;
}

/**
 * Marks a running saga whose `step` went dead as compensating, starting at compensation `next`
 * (or `compensated` when nothing needs undoing). False when the saga was not running that step.
 */
export async function failSagaStep(
  db: Db,
  id: string,
  step: string,
  error: string | null,
  next: string | null,
): Promise<boolean> {
  const { rows } = await db.query(
    `update cogo_sagas
        set state = case when $4::text is null then 'compensated' else 'compensating' end,
            failed_step = $2, error = $3, current_step = $4, updated_at = now()
      where id = $1 and state = 'running' and current_step = $2
      returning id`,
    [id, step, error, next],
  );
  return rows.length === 1;
}

/**
 * Records that `step`'s compensation completed and moves on to compensation `next` (or to
 * `compensated`). Accepted from `compensation_failed` too: a redriven compensation resumes the saga.
 */
export async function completeCompensation(
  db: Db,
  id: string,
  step: string,
  next: string | null,
): Promise<boolean> {
  const { rows } = await db.query(
    `update cogo_sagas
        set compensated = array_append(compensated, $2::text),
            current_step = $3,
            state = case when $3::text is null then 'compensated' else 'compensating' end,
            updated_at = now()
      where id = $1 and state in ('compensating', 'compensation_failed') and current_step = $2
      returning id`,
    [id, step, next],
  );
  return rows.length === 1;
}

/** Marks a compensating saga whose compensation of `step` went dead as `compensation_failed`. */
export async function failCompensation(
  db: Db,
  id: string,
  step: string,
  error: string | null,
): Promise<boolean> {
  const { rows } = await db.query(
    `update cogo_sagas set state = 'compensation_failed', error = $3, updated_at = now()
      where id = $1 and state = 'compensating' and current_step = $2
      returning id`,
    [id, step, error],
  );
  return rows.length === 1;
}

/** Sagas of `name` still running or compensating that have not moved for `idleSeconds`, oldest first. */
export async function selectIdleSagas(
  db: Db,
  name: string,
  idleSeconds: number,
  limit: number,
): Promise<SagaRecord[]> {
  const { rows } = await db.query<SagaRecord>(
    `select ${SAGA_COLUMNS} from cogo_sagas
      where name = $1 and state in ('running', 'compensating')
        and updated_at < now() - make_interval(secs => $2)
      order by updated_at limit $3`,
    [name, idleSeconds, limit],
  );
  return rows;
}
