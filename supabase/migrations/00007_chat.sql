-- Chat over the knowledge graph (docs/specs/SUPABASE_CHAT_AND_FEEDBACK_SCHEMA_V1.md): sessions, their
-- messages with the answer contract and its evidence, and users' feedback. Rollback: down/00007_chat.sql.
create table chat_sessions (
  id uuid primary key,
  title text,
  -- Who or what opened the session (a CLI user, a gateway client id); free text, never a secret.
  created_by text,
  metadata jsonb not null default '{}',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table chat_messages (
  id uuid primary key,
  session_id uuid not null references chat_sessions (id) on delete cascade,
  -- Order within the session, assigned at insert (unique, so two writers cannot take one slot).
  seq integer not null,
  role text not null check (role in ('user', 'assistant')),
  -- The user's text, or the assistant's answer (markdown) as it streams and when it is final.
  content text not null default '',
  status text not null check (status in ('pending', 'streaming', 'complete', 'failed')),
  -- The question an assistant message answers.
  reply_to uuid references chat_messages (id) on delete set null,
  -- A corrected answer points at the answer it corrects (feedback loop).
  corrects_id uuid references chat_messages (id) on delete set null,
  answerer text,
  served_model text,
  intended_model text,
  decision_id text,
  input_tokens integer not null default 0 check (input_tokens >= 0),
  output_tokens integer not null default 0 check (output_tokens >= 0),
  cost_usd double precision not null default 0 check (cost_usd >= 0),
  -- The gathered evidence (ids, kinds, object ids, paths, lines, content hashes).
  evidence jsonb not null default '[]',
  -- The verified citations only; those that failed verification are in critics.
  citations jsonb not null default '[]',
  -- The final LLM Response JSON v1 object (docs/specs/LLM_RESPONSE_JSON_V1.md).
  response jsonb,
  -- Self-correction: the rounds run and each round's critic results.
  rounds integer not null default 0 check (rounds >= 0),
  critics jsonb not null default '[]',
  error_code text,
  error_message text,
  latency_ms double precision,
  first_token_ms double precision,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (session_id, seq),
  check (role = 'assistant' or (reply_to is null and corrects_id is null)),
  check (status <> 'failed' or error_code is not null)
);
create index chat_messages_session_idx on chat_messages (session_id, seq);
create index chat_messages_reply_to_idx on chat_messages (reply_to);
create index chat_messages_corrects_idx on chat_messages (corrects_id);

create table chat_feedback (
  id uuid primary key,
  message_id uuid not null references chat_messages (id) on delete cascade,
  -- 1: thumbs up, -1: thumbs down.
  rating smallint not null check (rating in (-1, 1)),
  comment text,
  -- What the user says the right answer is.
  correction text,
  -- The corrected answer the feedback produced, if it asked for one.
  corrected_message_id uuid references chat_messages (id) on delete set null,
  created_by text,
  created_at timestamptz not null default now()
);
create index chat_feedback_message_idx on chat_feedback (message_id);
