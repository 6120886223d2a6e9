/** The chat tables (migration 00007, docs/specs/SUPABASE_CHAT_AND_FEEDBACK_SCHEMA_V1.md). */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/index.ts';
import type { LlmResponse } from './contract.ts';

export const MESSAGE_STATUSES = ['pending', 'streaming', 'complete', 'failed'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export interface ChatSession {
  readonly id: string;
  readonly title: string | null;
  readonly createdBy: string | null;
  readonly createdAt: string;
}

export interface ChatMessageRecord {
  readonly id: string;
  readonly sessionId: string;
  readonly seq: number;
  readonly role: 'user' | 'assistant';
  readonly content: string;
  readonly status: MessageStatus;
  readonly replyTo: string | null;
  readonly correctsId: string | null;
  readonly answerer: string | null;
  readonly servedModel: string | null;
  readonly intendedModel: string | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  readonly evidence: unknown;
  readonly citations: unknown;
  readonly response: LlmResponse | null;
  readonly rounds: number;
  readonly critics: unknown;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  readonly latencyMs: number | null;
  readonly firstTokenMs: number | null;
  readonly createdAt: string;
}

interface MessageRow {
  id: string;
  session_id: string;
  seq: number;
  role: 'user' | 'assistant';
  content: string;
  status: MessageStatus;
  reply_to: string | null;
  corrects_id: string | null;
  answerer: string | null;
  served_model: string | null;
  intended_model: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  evidence: unknown;
  citations: unknown;
  response: LlmResponse | null;
  rounds: number;
  critics: unknown;
  error_code: string | null;
  error_message: string | null;
  latency_ms: number | null;
  first_token_ms: number | null;
  created_at: Date | string;
}

const iso = (d: Date | string) => (d instanceof Date ? d.toISOString() : new Date(d).toISOString());

function toMessage(r: MessageRow): ChatMessageRecord {
  return {
    id: r.id,
    sessionId: r.session_id,
    seq: r.seq,
    role: r.role,
    content: r.content,
    status: r.status,
    replyTo: r.reply_to,
    correctsId: r.corrects_id,
    answerer: r.answerer,
    servedModel: r.served_model,
    intendedModel: r.intended_model,
    inputTokens: r.input_tokens,
    outputTokens: r.output_tokens,
    costUsd: Number(r.cost_usd),
    evidence: r.evidence,
    citations: r.citations,
    response: r.response,
    rounds: r.rounds,
    critics: r.critics,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    latencyMs: r.latency_ms === null ? null : Number(r.latency_ms),
    firstTokenMs: r.first_token_ms === null ? null : Number(r.first_token_ms),
    createdAt: iso(r.created_at),
  };
}

export async function insertSession(
  db: Db,
  session: { title?: string | null; createdBy?: string | null; id?: string },
): Promise<ChatSession> {
  const { rows } = await db.query<{
    id: string;
    title: string | null;
    created_by: string | null;
    created_at: Date;
  }>(
    `insert into chat_sessions (id, title, created_by) values ($1, $2, $3) returning id, title, created_by, created_at`,
    [session.id ?? randomUUID(), session.title ?? null, session.createdBy ?? null],
  );
  const r = rows[0]!;
  return { id: r.id, title: r.title, createdBy: r.created_by, createdAt: iso(r.created_at) };
}

export async function findSession(db: Db, id: string): Promise<ChatSession | null> {
  const { rows } = await db.query<{
    id: string;
    title: string | null;
    created_by: string | null;
    created_at: Date;
  }>('select id, title, created_by, created_at from chat_sessions where id = $1', [id]);
  const r = rows[0];
  return r ? { id: r.id, title: r.title, createdBy: r.created_by, createdAt: iso(r.created_at) } : null;
}

/** Appends a message at the session's next position (one statement: concurrent writers cannot share one). */
export async function insertMessage(
  db: Db,
  m: {
    sessionId: string;
    role: 'user' | 'assistant';
    content: string;
    status: MessageStatus;
    replyTo?: string | null;
    correctsId?: string | null;
    answerer?: string | null;
  },
): Promise<ChatMessageRecord> {
  const { rows } = await db.query<MessageRow>(
    `with s as (select id from chat_sessions where id = $2 for update)
     insert into chat_messages (id, session_id, seq, role, content, status, reply_to, corrects_id, answerer)
     select $1, s.id, coalesce((select max(seq) from chat_messages where session_id = s.id), 0) + 1, $3, $4, $5, $6, $7, $8
       from s
     returning *`,
    [
      randomUUID(),
      m.sessionId,
      m.role,
      m.content,
      m.status,
      m.replyTo ?? null,
      m.correctsId ?? null,
      m.answerer ?? null,
    ],
  );
  await db.query('update chat_sessions set updated_at = now() where id = $1', [m.sessionId]);
  return toMessage(rows[0]!);
}

export async function markStreaming(db: Db, id: string, answerer: string): Promise<void> {
  await db.query(
    `update chat_messages set status = 'streaming', answerer = $2, updated_at = now() where id = $1 and status = 'pending'`,
    [id, answerer],
  );
}

export interface CompletedAnswer {
  readonly response: LlmResponse;
  readonly answerer: string;
  readonly servedModel: string | null;
  readonly intendedModel: string | null;
  readonly decisionId: string | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  readonly evidence: unknown;
  readonly rounds: number;
  readonly critics: unknown;
  readonly latencyMs: number;
  readonly firstTokenMs: number | null;
}

/**
 * Completes an answer that is still pending or streaming; null when it is already final (another
 * worker finished it first), so a late or duplicate answer never overwrites one.
 */
export async function completeMessage(
  db: Db,
  id: string,
  a: CompletedAnswer,
): Promise<ChatMessageRecord | null> {
  const { rows } = await db.query<MessageRow>(
    `update chat_messages set status = 'complete', content = $2, response = $3::jsonb, citations = $4::jsonb,
            answerer = $5, served_model = $6, intended_model = $7, decision_id = $8, input_tokens = $9,
            output_tokens = $10, cost_usd = $11, evidence = $12::jsonb, rounds = $13, critics = $14::jsonb,
            latency_ms = $15, first_token_ms = $16, error_code = null, error_message = null, updated_at = now()
      where id = $1 and status in ('pending', 'streaming') returning *`,
    [
      id,
      a.response.answer,
      JSON.stringify(a.response),
      JSON.stringify(a.response.citations),
      a.answerer,
      a.servedModel,
      a.intendedModel,
      a.decisionId,
      a.inputTokens,
      a.outputTokens,
      a.costUsd,
      JSON.stringify(a.evidence),
      a.rounds,
      JSON.stringify(a.critics),
      a.latencyMs,
      a.firstTokenMs,
    ],
  );
  return rows[0] ? toMessage(rows[0]) : null;
}

/** Puts an answer that is not final back to pending, its text void (a retry will answer it). */
export async function resetToPending(db: Db, id: string): Promise<void> {
  await db.query(
    `update chat_messages set status = 'pending', content = '', updated_at = now()
      where id = $1 and status in ('pending', 'streaming')`,
    [id],
  );
}

/** Fails an answer that is not final yet; null when it already is. */
export async function failMessage(
  db: Db,
  id: string,
  code: string,
  message: string,
): Promise<ChatMessageRecord | null> {
  const { rows } = await db.query<MessageRow>(
    `update chat_messages set status = 'failed', error_code = $2, error_message = $3, updated_at = now()
      where id = $1 and status in ('pending', 'streaming') returning *`,
    [id, code, message.slice(0, 2000)],
  );
  return rows[0] ? toMessage(rows[0]) : null;
}

/** The comment and correction of the feedback that asked for this corrected answer. */
export async function findCorrectionRequest(
  db: Db,
  correctedMessageId: string,
): Promise<{ comment: string | null; correction: string | null } | null> {
  const { rows } = await db.query<{ comment: string | null; correction: string | null }>(
    'select comment, correction from chat_feedback where corrected_message_id = $1 order by created_at limit 1',
    [correctedMessageId],
  );
  return rows[0] ?? null;
}

export async function findMessage(db: Db, id: string): Promise<ChatMessageRecord | null> {
  const { rows } = await db.query<MessageRow>('select * from chat_messages where id = $1', [id]);
  return rows[0] ? toMessage(rows[0]) : null;
}

export async function listMessages(db: Db, sessionId: string): Promise<ChatMessageRecord[]> {
  const { rows } = await db.query<MessageRow>(
    'select * from chat_messages where session_id = $1 order by seq',
    [sessionId],
  );
  return rows.map(toMessage);
}

export interface FeedbackRecord {
  readonly id: string;
  readonly messageId: string;
  readonly rating: 1 | -1;
  readonly comment: string | null;
  readonly correction: string | null;
  readonly correctedMessageId: string | null;
  readonly createdAt: string;
}

export async function insertFeedback(
  db: Db,
  f: {
    messageId: string;
    rating: 1 | -1;
    comment?: string | null;
    correction?: string | null;
    createdBy?: string | null;
  },
): Promise<FeedbackRecord> {
  const { rows } = await db.query<{ id: string; created_at: Date }>(
    `insert into chat_feedback (id, message_id, rating, comment, correction, created_by)
     values ($1, $2, $3, $4, $5, $6) returning id, created_at`,
    [randomUUID(), f.messageId, f.rating, f.comment ?? null, f.correction ?? null, f.createdBy ?? null],
  );
  const r = rows[0]!;
  return {
    id: r.id,
    messageId: f.messageId,
    rating: f.rating,
    comment: f.comment ?? null,
    correction: f.correction ?? null,
    correctedMessageId: null,
    createdAt: iso(r.created_at),
  };
}

export async function linkCorrection(db: Db, feedbackId: string, correctedMessageId: string): Promise<void> {
  await db.query('update chat_feedback set corrected_message_id = $2 where id = $1', [
    feedbackId,
    correctedMessageId,
  ]);
}

/** What chat did in a time window, from the tables (every process's answers alike). */
export interface ChatSummary {
  readonly questions: number;
  readonly answers: Readonly<Record<MessageStatus, number>>;
  readonly byAnswerer: Readonly<Record<string, number>>;
  readonly latencyMs: { readonly p50: number | null; readonly p95: number | null };
  readonly firstTokenMs: { readonly p50: number | null; readonly p95: number | null };
  /** Answers that needed at least one revision, and the mean number of revisions. */
  readonly revised: number;
  readonly meanRounds: number | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  readonly feedback: { readonly up: number; readonly down: number; readonly corrections: number };
}

export async function chatSummary(db: Db, window: { from: Date; to: Date }): Promise<ChatSummary> {
  const params = [window.from.toISOString(), window.to.toISOString()];
  const [{ rows: m }, { rows: byStatus }, { rows: byAnswerer }, { rows: f }] = await Promise.all([
    db.query<{
      questions: number;
      p50: number | null;
      p95: number | null;
      ft50: number | null;
      ft95: number | null;
      revised: number;
      mean_rounds: number | null;
      tin: string;
      tout: string;
      cost: number;
    }>(
      `select count(*) filter (where role = 'user')::int as questions,
              percentile_cont(0.5) within group (order by latency_ms) filter (where role = 'assistant') as p50,
              percentile_cont(0.95) within group (order by latency_ms) filter (where role = 'assistant') as p95,
              percentile_cont(0.5) within group (order by first_token_ms) filter (where role = 'assistant') as ft50,
              percentile_cont(0.95) within group (order by first_token_ms) filter (where role = 'assistant') as ft95,
              count(*) filter (where role = 'assistant' and rounds > 0)::int as revised,
              avg(rounds) filter (where role = 'assistant' and status = 'complete')::float8 as mean_rounds,
              coalesce(sum(input_tokens), 0) as tin, coalesce(sum(output_tokens), 0) as tout,
              coalesce(sum(cost_usd), 0)::float8 as cost
         from chat_messages where created_at >= $1 and created_at < $2`,
      params,
    ),
    db.query<{ status: MessageStatus; n: number }>(
      `select status, count(*)::int as n from chat_messages
        where role = 'assistant' and created_at >= $1 and created_at < $2 group by status`,
      params,
    ),
    db.query<{ answerer: string; n: number }>(
      `select answerer, count(*)::int as n from chat_messages
        where role = 'assistant' and answerer is not null and created_at >= $1 and created_at < $2 group by answerer`,
      params,
    ),
    db.query<{ up: number; down: number; corrections: number }>(
      `select count(*) filter (where rating = 1)::int as up, count(*) filter (where rating = -1)::int as down,
              count(corrected_message_id)::int as corrections
         from chat_feedback where created_at >= $1 and created_at < $2`,
      params,
    ),
  ]);
  const r = m[0]!;
  const num = (v: number | null) => (v === null ? null : Math.round(Number(v) * 10) / 10);
  return {
    questions: r.questions,
    answers: Object.fromEntries(
      MESSAGE_STATUSES.map((s) => [s, byStatus.find((b) => b.status === s)?.n ?? 0]),
    ) as Record<MessageStatus, number>,
    byAnswerer: Object.fromEntries(byAnswerer.map((b) => [b.answerer, b.n])),
    latencyMs: { p50: num(r.p50), p95: num(r.p95) },
    firstTokenMs: { p50: num(r.ft50), p95: num(r.ft95) },
    revised: r.revised,
    meanRounds: r.mean_rounds === null ? null : Math.round(Number(r.mean_rounds) * 100) / 100,
    inputTokens: Number(r.tin),
    outputTokens: Number(r.tout),
    costUsd: Number(r.cost),
    feedback: f[0]!,
  };
}
