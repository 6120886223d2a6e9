-- The LLM layer (docs/specs/LLM_ROUTING_V1.md): providers and their models with prices, routing
-- policies per service, provider health, every routing decision and call, and the key vault.

create table llm_providers (
  id text primary key,
  kind text not null check (kind in ('openai-compatible', 'anthropic')),
  base_url text,
  -- The secure_keys id holding this provider's API key; null when it needs none (a local server).
  key_id text,
  region text,
  enabled boolean not null default true,
  metadata jsonb not null default '{}',
  updated_at timestamptz not null default now()
);

-- One deployment: a provider's model. Prices are USD per token.
create table llm_models (
  id text primary key,
  provider_id text not null references llm_providers (id) on delete cascade,
  model text not null,
  capability_class text not null,
  input_price_per_token numeric(20, 12) not null default 0 check (input_price_per_token >= 0),
  output_price_per_token numeric(20, 12) not null default 0 check (output_price_per_token >= 0),
  context_window integer not null check (context_window > 0),
  region text,
  cold_start_penalty_ms integer not null default 0 check (cold_start_penalty_ms >= 0),
  -- The price file version that set the prices (`npm run llm:costs`).
  price_version text,
  enabled boolean not null default true,
  metadata jsonb not null default '{}',
  updated_at timestamptz not null default now(),
  unique (provider_id, model)
);
create index llm_models_class_idx on llm_models (capability_class);

create table routing_policies (
  service text primary key,
  -- Raised on every change; each routing decision records the version it applied.
  version integer not null default 1,
  -- The kill switch: a disabled policy routes nothing for its service.
  enabled boolean not null default true,
  capability_class text,
  deny_models text[] not null default '{}',
  deny_providers text[] not null default '{}',
  max_latency_ms integer check (max_latency_ms > 0),
  max_error_rate real check (max_error_rate between 0 and 1),
  preferred_regions text[] not null default '{}',
  -- Score weights (cost, latency, errors, region, coldStart); missing ones take the defaults.
  weights jsonb not null default '{}',
  first_token_timeout_ms integer check (first_token_timeout_ms > 0),
  updated_at timestamptz not null default now()
);

-- Health per deployment, from probes (`npm run llm:health`) and live calls.
create table provider_health (
  model_id text primary key references llm_models (id) on delete cascade,
  samples integer not null default 0 check (samples >= 0),
  successes integer not null default 0,
  http_errors integer not null default 0,
  timeouts integer not null default 0,
  network_errors integer not null default 0,
  error_rate real not null default 0 check (error_rate between 0 and 1),
  -- Error rate over the most recent samples only: rising above error_rate means backing off.
  recent_error_rate real not null default 0 check (recent_error_rate between 0 and 1),
  latency_p50_ms real,
  latency_p95_ms real,
  updated_at timestamptz not null default now()
);

create table llm_routing_decisions (
  id uuid primary key,
  created_at timestamptz not null default now(),
  service text not null,
  policy_version integer,
  score_version text not null check (score_version in ('v1', 'v2')),
  intended_model_id text,
  selected_model_id text,
  -- Every candidate: its score terms, or why it was filtered out.
  candidates jsonb not null,
  -- The deployments tried, in order, with each outcome.
  chain jsonb not null default '[]',
  served_model_id text,
  outcome text check (outcome in ('ok', 'failed', 'no_candidate'))
);
create index llm_routing_decisions_service_idx on llm_routing_decisions (service, created_at);

create table llm_calls (
  id bigint generated always as identity primary key,
  created_at timestamptz not null default now(),
  decision_id uuid,
  service text not null,
  provider_id text not null,
  model_id text not null,
  intended_model_id text,
  attempt integer not null check (attempt >= 1),
  streamed boolean not null,
  tokens_in integer not null default 0,
  tokens_out integer not null default 0,
  cost_usd numeric(20, 10) not null default 0,
  latency_ms real not null,
  first_token_ms real,
  outcome text not null check (outcome in ('ok', 'error')),
  error_code text
);
create index llm_calls_service_idx on llm_calls (created_at, service);
create index llm_calls_model_idx on llm_calls (model_id, created_at);

-- Encrypted keys: AES-256-GCM under a data key derived from the master key (COGO_VAULT_MASTER_KEY)
-- and a per-version salt; the key id and version are the cipher's associated data. No plaintext.
create table secure_keys (
  id text primary key,
  version_int integer not null check (version_int >= 1),
  ciphertext bytea not null,
  iv bytea not null,
  auth_tag bytea not null,
  salt bytea not null,
  -- Which master key encrypted it (a fingerprint, not the key).
  master_key_id text not null,
  -- HMAC of the plaintext under a key derived from the master key, checked on every read.
  checksum text not null,
  valid_from timestamptz not null default now(),
  expires_at timestamptz,
  revoked_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  updated_by text not null
);

create table secure_keys_audit (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  key_id text not null,
  version_int integer,
  action text not null check (action in ('read', 'write', 'revoke', 'fail')),
  actor text not null,
  outcome text not null check (outcome in ('ok', 'denied', 'conflict', 'error')),
  reason text
);
create index secure_keys_audit_key_idx on secure_keys_audit (key_id, at);
