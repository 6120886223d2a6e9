-- Sagas (docs/specs/JOB_STATE_MACHINE_V1.md, "Sagas"): one row per run of a multi-step flow. Each
-- step and each compensation is a job in cogo_jobs; this row says where the flow is, what the
-- completed steps returned, and which compensations have run.

create table cogo_sagas (
  id uuid primary key,
  -- The saga definition's name (`index`); its steps' job types are `<name>.<step>`.
  name text not null,
  -- What makes two starts the same run: a second start with this key is the same saga.
  idempotency_key text not null,
  correlation_id text not null,
  state text not null
    check (state in ('running', 'succeeded', 'compensating', 'compensated', 'compensation_failed')),
  -- The step running now (forward), or the compensation running now (the step it undoes).
  current_step text,
  -- The input every step receives (validated by the definition's schema).
  input jsonb not null,
  -- Step name -> what its handler returned, for every completed step.
  outputs jsonb not null default '{}'::jsonb,
  -- Steps whose compensation completed, in the order they ran.
  compensated text[] not null default '{}',
  -- The step that went dead (and why), once compensating.
  failed_step text,
  error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint cogo_sagas_idempotency unique (name, idempotency_key)
);
create index cogo_sagas_state_idx on cogo_sagas (state, updated_at);

-- Index requests (`cogo index --enqueue`, POST /api/index): the orchestrator takes them oldest first,
-- one at a time per database (a database holds one repository's graph), skips those whose content
-- fingerprint equals the last successful run's, and runs the rest as `index` sagas.
create table index_requests (
  -- The request id: the caller's, or a generated uuid; a second request with one id is the same.
  id text primary key,
  root text not null,
  full_rebuild boolean not null default false,
  state text not null check (state in ('pending', 'running', 'succeeded', 'failed', 'unchanged')),
  source text not null,
  saga_id uuid,
  -- sha256 of the scanned files' paths and content hashes, the tsconfigs and the extractor version.
  fingerprint text,
  -- The run's summary: graph, search and coverage reports (finalize), or why it failed.
  report jsonb not null default '{}'::jsonb,
  error text,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz
);
create index index_requests_state_idx on index_requests (state, created_at);
