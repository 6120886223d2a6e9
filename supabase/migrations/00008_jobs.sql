-- Jobs (docs/specs/JOB_STATE_MACHINE_V1.md): one row per logical job with its state in cogo's state
-- machine, and every transition in job_events. pg-boss (schema `pgboss`, installed by pg-boss itself)
-- holds the runnable copy it claims, leases and retries; nothing here references it.

create table cogo_jobs (
  -- The envelope id (docs/specs/MESSAGE_SCHEMA_V1.md); stable across redrives.
  id uuid primary key,
  -- The message type, which is also the pg-boss queue name.
  queue text not null,
  idempotency_key text not null,
  correlation_id text not null,
  state text not null
    check (state in ('queued', 'active', 'succeeded', 'failed', 'retrying', 'dead', 'cancelled')),
  -- The pg-boss job of the current run; a redrive starts a new one, so a worker of an earlier run
  -- cannot settle the new one.
  queue_job_id uuid not null unique,
  -- The attempt that claimed it last (1-based; 0 before the first claim), within the current run.
  attempt integer not null default 0 check (attempt >= 0),
  max_attempts integer not null check (max_attempts >= 1),
  -- Why it is dead or cancelled (the DLQ reason codes); null otherwise.
  reason text check (reason in ('PARSE_ERROR', 'TIMEOUT', 'PROVIDER_UNAVAILABLE', 'INVALID_INPUT',
    'MAX_ATTEMPTS', 'CANCELLED', 'COMPENSATION_FAILED')),
  last_error text,
  worker_id text,
  lease_expires_at timestamptz,
  -- The whole envelope as enqueued, so a dead job can be redriven with its payload.
  envelope jsonb not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint cogo_jobs_idempotency unique (queue, idempotency_key)
);
create index cogo_jobs_state_idx on cogo_jobs (state, reason);

-- Append-only. `transition` rows are state changes; `conflict` rows are settles refused by the
-- attempt fence (to_state is what the late worker tried to set).
create table job_events (
  id bigint generated always as identity primary key,
  job_id uuid not null,
  queue text not null,
  kind text not null check (kind in ('transition', 'conflict')),
  from_state text,
  to_state text not null,
  attempt integer not null,
  reason text,
  correlation_id text not null,
  worker_id text,
  detail text,
  at timestamptz not null default now()
);
create index job_events_job_idx on job_events (job_id, id);
create index job_events_at_idx on job_events (at);
