/**
 * jobs: job types on a queue engine (pg-boss), cogo's job state machine with every transition in
 * `job_events`, DLQ reasons and redrive, idempotency keys, attempt fencing, and the jobs counters.
 * See README.md and docs/specs/JOB_STATE_MACHINE_V1.md.
 */
export { type CreateJobsOptions, createJobs } from './create-jobs.ts';
export {
  classifyFailure,
  type FailureClass,
  JOB_ERROR_CODES,
  JobError,
  type JobErrorCode,
  JobFailure,
} from './errors.ts';
export {
  DEFAULT_QUEUE_POLICY,
  type DeadListener,
  defineJob,
  type EnqueueResult,
  type JobDefinition,
  Jobs,
  type RedriveOptions,
  wakeChannel,
} from './jobs.ts';
export { createPgBossQueue, type PgBossQueueOptions } from './pg-boss-queue.ts';
export type { AttemptRef, ClaimedJob, EngineJob, Queue, QueuePolicy } from './queue.ts';
export {
  createSagas,
  defineSaga,
  SAGA_STATES,
  type SagaDefinition,
  type SagaHandlers,
  type SagaRecord,
  type SagaStartOptions,
  type SagaStartResult,
  type SagaState,
  type SagaStep,
  type SagaStepContext,
  type SagaStepHandler,
  type SagaStepOptions,
  type SagaStepPayload,
  Sagas,
  sagaStepKey,
  withSagaPolicy,
} from './saga.ts';
export {
  canTransition,
  DLQ_REASONS,
  type DlqReason,
  isDlqReason,
  JOB_STATES,
  type JobState,
  TERMINAL_STATES,
  TRANSITIONS,
} from './states.ts';
export {
  countJobEvents,
  type DeadJob,
  type JobCounts,
  type JobEvent,
  type JobRecord,
  selectDeadJobs,
} from './store.ts';
export type { JobContext, JobHandler, Worker, WorkerOptions } from './worker.ts';
