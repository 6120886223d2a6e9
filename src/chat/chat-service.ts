/**
 * Sessions, messages and feedback around `askRag`. A question is stored with a pending answer
 * (`submit`), then answered (`answer`: pending -> streaming -> complete or failed, with the error's
 * code) — in the same process (`ask`), or by a chat worker that claimed the message's job. Answering
 * is idempotent: a final message is returned as it is, a message left streaming by a worker that
 * died is answered again, and a late duplicate never overwrites a final answer.
 */
import { errorMessage, type Logger } from '../core/index.ts';
import type { Db } from '../db/index.ts';
import type { Embedder } from '../search/index.ts';
import type { Answerer, HistoryTurn } from './answerer.ts';
import { type AskEvent, type AskOutcome, askRag } from './ask.ts';
import { createChatPublisher } from './chat-events.ts';
import { ChatError } from './errors.ts';
import { recordFailure } from './metrics.ts';
import {
  type ChatMessageRecord,
  type ChatSession,
  completeMessage,
  type FeedbackRecord,
  failMessage,
  findCorrectionRequest,
  findMessage,
  findSession,
  insertFeedback,
  insertMessage,
  insertSession,
  linkCorrection,
  listMessages,
  markStreaming,
  resetToPending,
} from './store.ts';

export const MAX_QUESTION_CHARS = 4000;

export interface ChatServiceOptions {
  readonly db: Db;
  readonly root: string;
  readonly answerer: Answerer;
  readonly embedder?: Embedder;
  /** The in-process vector scan's budget (COGO_VECTOR_MEMORY_MB) for evidence searches. */
  readonly vectorMemoryBytes?: number;
  readonly maxRounds?: number;
  readonly budgetTokens?: number;
  readonly logger?: Logger;
}

/** A stored question and the pending answer to it. */
export interface Submitted {
  readonly session: ChatSession;
  readonly question: ChatMessageRecord;
  readonly answer: ChatMessageRecord;
}

export interface AskResult extends Submitted {
  /** Null when the answer failed (`answer.status` is `failed`) or was already final. */
  readonly outcome: AskOutcome | null;
}

export interface FeedbackInput {
  readonly rating: 1 | -1;
  readonly comment?: string;
  readonly correction?: string;
  readonly createdBy?: string;
}

export interface AnswerOptions {
  readonly onEvent?: (e: AskEvent) => void;
  readonly signal?: AbortSignal;
  /**
   * A retryable failure (a provider down, rate limits, every deployment failing) puts the message
   * back to pending and throws, for the caller (a job) to try again later; without it, every
   * failure is stored as `failed`. A chat worker sets it on every attempt but the last.
   */
  readonly rethrowRetryable?: boolean;
  /** An earlier attempt may have streamed text (a retried job): start with a `restart` saying why. */
  readonly restartReason?: string;
}

// Failures worth another attempt later: the providers, not the question.
const RETRYABLE_ANSWER_CODES: ReadonlySet<string> = new Set([
  'LLM_ALL_FAILED',
  'LLM_CIRCUIT_OPEN',
  'LLM_RATE_LIMITED',
  'LLM_TIMEOUT',
  'LLM_NETWORK',
  'LLM_FIRST_TOKEN_TIMEOUT',
  'LLM_STREAM_INTERRUPTED',
  'DB_QUERY_FAILED',
]);

function isRetryableAnswerFailure(error: unknown): boolean {
  const e = error as { code?: unknown; isRetryable?: unknown };
  return e.isRetryable === true || (typeof e.code === 'string' && RETRYABLE_ANSWER_CODES.has(e.code));
}

export interface ChatService {
  createSession(options?: { title?: string; createdBy?: string }): Promise<ChatSession>;
  /** Stores a question and its pending answer (a new session when `sessionId` is absent). */
  submit(input: { sessionId?: string; question: string; intendedModel?: string }): Promise<Submitted>;
  /**
   * Answers a pending (or abandoned streaming) assistant message; a final one is returned as it is.
   * Answer failures are stored on the message, not thrown.
   */
  answer(
    messageId: string,
    options?: AnswerOptions,
  ): Promise<{ answer: ChatMessageRecord; outcome: AskOutcome | null }>;
  /**
   * `answer`, publishing every event on the message's NOTIFY channel (`chat-events.ts`) and `final`
   * at the end: what a chat worker runs, for a gateway in another process to stream.
   */
  answerPublished(
    messageId: string,
    options?: Omit<AnswerOptions, 'onEvent'>,
  ): Promise<{ answer: ChatMessageRecord; outcome: AskOutcome | null }>;
  /** `submit`, then `answer` in this process. */
  ask(input: {
    sessionId?: string;
    question: string;
    intendedModel?: string;
    onEvent?: (e: AskEvent) => void;
    /** Called once both messages are stored, before answering starts. */
    onMessages?: (m: Submitted) => void;
    signal?: AbortSignal;
  }): Promise<AskResult>;
  history(sessionId: string): Promise<{ session: ChatSession; messages: ChatMessageRecord[] }>;
  /** One message as stored now, or null. */
  message(id: string): Promise<ChatMessageRecord | null>;
  /**
   * Stores feedback. A thumbs-down with a comment or correction also stores a pending corrected
   * answer (`corrects_id` = the original, linked from the feedback row) and returns it unanswered.
   */
  submitFeedback(
    messageId: string,
    input: FeedbackInput,
  ): Promise<{ feedback: FeedbackRecord; corrected: ChatMessageRecord | null }>;
  /** `submitFeedback`, then the corrected answer answered in this process. */
  feedback(
    messageId: string,
    input: FeedbackInput,
    onEvent?: (e: AskEvent) => void,
  ): Promise<{ feedback: FeedbackRecord; corrected: ChatMessageRecord | null }>;
}

function evidenceRecord(outcome: AskOutcome) {
  return outcome.evidence.items.map((i) => ({
    id: i.id,
    kind: i.kind,
    object_id: i.objectId,
    symbol: i.symbol,
    path: i.path,
    start_line: i.startLine,
    end_line: i.endLine,
    content_hash: i.contentHash,
  }));
}

const historyOf = (messages: readonly ChatMessageRecord[]): HistoryTurn[] =>
  messages.filter((m) => m.status === 'complete').map((m) => ({ role: m.role, content: m.content }));

export function createChatService(options: ChatServiceOptions): ChatService {
  const { db } = options;

  const requireSession = async (id: string) => {
    const session = await findSession(db, id);
    if (!session) throw new ChatError('SESSION_NOT_FOUND', `no chat session ${id}`);
    return session;
  };

  /** What answering a message needs: its question, the turns before it, and a correction asked for. */
  const contextOf = async (message: ChatMessageRecord) => {
    const question = message.replyTo ? await findMessage(db, message.replyTo) : null;
    if (!question) throw new ChatError('MESSAGE_NOT_FOUND', `answer ${message.id} has no question`);
    const all = await listMessages(db, message.sessionId);
    const history = historyOf(all.filter((m) => m.seq < question.seq));
    if (!message.correctsId) return { question, history, correction: undefined };
    const original = await findMessage(db, message.correctsId);
    const request = await findCorrectionRequest(db, message.id);
    const text = [request?.comment, request?.correction].filter((s): s is string => !!s?.trim()).join('\n');
    const correction = original?.response && text ? { previous: original.response, text } : undefined;
    return { question, history, correction };
  };

  const answer: ChatService['answer'] = async (messageId, o = {}) => {
    const message = await findMessage(db, messageId);
    if (!message || message.role !== 'assistant')
      throw new ChatError('MESSAGE_NOT_FOUND', `no assistant message ${messageId}`);
    if (message.status === 'complete' || message.status === 'failed')
      return { answer: message, outcome: null };
    const emit = o.onEvent ?? (() => undefined);
    // A message left streaming was abandoned by a worker that died: its text is void.
    if (o.restartReason || message.status === 'streaming')
      emit({ type: 'restart', reason: o.restartReason ?? 'answering again after an interrupted answer' });
    let marked = message.status === 'streaming';
    let outcome: AskOutcome;
    try {
      const { question, history, correction } = await contextOf(message);
      outcome = await askRag(
        {
          db,
          root: options.root,
          answerer: options.answerer,
          ...(options.embedder ? { embedder: options.embedder } : {}),
          ...(options.vectorMemoryBytes !== undefined
            ? { vectorMemoryBytes: options.vectorMemoryBytes }
            : {}),
          ...(options.maxRounds !== undefined ? { maxRounds: options.maxRounds } : {}),
          ...(options.budgetTokens ? { budgetTokens: options.budgetTokens } : {}),
        },
        {
          question: question.content,
          history,
          ...(message.intendedModel ? { intendedModel: message.intendedModel } : {}),
          ...(correction ? { correction } : {}),
          ...(o.signal ? { signal: o.signal } : {}),
          onEvent: (e) => {
            if (e.type === 'delta' && !marked) {
              marked = true;
              void markStreaming(db, message.id, options.answerer.name).catch((error) =>
                options.logger?.warn({ err: error }, 'chat: could not mark a message streaming'),
              );
            }
            emit(e);
          },
        },
      );
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const errorCode = typeof code === 'string' ? code : 'ANSWER_FAILED';
      // The caller gave up (a worker's lease ran out): another run may hold the message now, so
      // this one leaves the row and the channel alone.
      if (o.rethrowRetryable && o.signal?.aborted)
        throw new ChatError('ANSWER_FAILED', `answer ${messageId} was abandoned (${errorCode})`, {
          cause: error,
          isRetryable: true,
        });
      if (o.rethrowRetryable && isRetryableAnswerFailure(error)) {
        options.logger?.warn({ err: error, messageId }, 'chat: answer failed, to be retried');
        emit({ type: 'restart', reason: `the answer failed (${errorCode}) and will be retried` });
        await resetToPending(db, messageId);
        throw new ChatError('ANSWER_FAILED', `answer ${messageId} failed (${errorCode}); retry later`, {
          cause: error,
          isRetryable: true,
        });
      }
      recordFailure(errorCode);
      options.logger?.warn({ err: error, messageId }, 'chat: answer failed');
      const failed = await failMessage(db, messageId, errorCode, errorMessage(error));
      return { answer: failed ?? (await findMessage(db, messageId))!, outcome: null };
    }
    const last = outcome.usage.at(-1);
    const completed = await completeMessage(db, messageId, {
      response: outcome.response,
      answerer: outcome.answerer,
      servedModel: last?.servedModel ?? null,
      intendedModel: last?.intendedModel ?? null,
      decisionId: last?.decisionId ?? null,
      inputTokens: outcome.usage.reduce((n, u) => n + u.inputTokens, 0),
      outputTokens: outcome.usage.reduce((n, u) => n + u.outputTokens, 0),
      costUsd: outcome.usage.reduce((n, u) => n + u.costUsd, 0),
      evidence: evidenceRecord(outcome),
      rounds: outcome.rounds,
      critics: outcome.critics,
      latencyMs: outcome.totalMs,
      firstTokenMs: outcome.firstTokenMs,
    });
    // Someone else finished it first: theirs stands.
    if (!completed) return { answer: (await findMessage(db, messageId))!, outcome: null };
    return { answer: completed, outcome };
  };

  const submit: ChatService['submit'] = async (input) => {
    const question = input.question.trim();
    if (question.length === 0 || question.length > MAX_QUESTION_CHARS)
      throw new ChatError('INVALID_QUESTION', `a question has 1 to ${MAX_QUESTION_CHARS} characters`);
    const session = input.sessionId
      ? await requireSession(input.sessionId)
      : await insertSession(db, { title: question.slice(0, 80) });
    const q = await insertMessage(db, {
      sessionId: session.id,
      role: 'user',
      content: question,
      status: 'complete',
    });
    const pending = await insertMessage(db, {
      sessionId: session.id,
      role: 'assistant',
      content: '',
      status: 'pending',
      replyTo: q.id,
      intendedModel: input.intendedModel ?? null,
    });
    return { session, question: q, answer: pending };
  };

  const submitFeedback: ChatService['submitFeedback'] = async (messageId, input) => {
    const original = await findMessage(db, messageId);
    if (!original) throw new ChatError('MESSAGE_NOT_FOUND', `no chat message ${messageId}`);
    if (original.role !== 'assistant')
      throw new ChatError('INVALID_FEEDBACK', 'feedback is given on answers, not questions');
    const feedback = await insertFeedback(db, {
      messageId,
      rating: input.rating,
      comment: input.comment ?? null,
      correction: input.correction ?? null,
      createdBy: input.createdBy ?? null,
    });
    const said = [input.comment, input.correction].some((s) => !!s && s.trim().length > 0);
    if (input.rating !== -1 || !said || !original.response || !original.replyTo)
      return { feedback, corrected: null };
    const pending = await insertMessage(db, {
      sessionId: original.sessionId,
      role: 'assistant',
      content: '',
      status: 'pending',
      replyTo: original.replyTo,
      correctsId: original.id,
    });
    await linkCorrection(db, feedback.id, pending.id);
    return { feedback: { ...feedback, correctedMessageId: pending.id }, corrected: pending };
  };

  return {
    createSession: (o = {}) => insertSession(db, { title: o.title ?? null, createdBy: o.createdBy ?? null }),
    submit,
    answer,

    async answerPublished(messageId, o = {}) {
      const publisher = createChatPublisher(db, messageId, (error) =>
        options.logger?.warn({ err: error, messageId }, 'chat: an answer event could not be published'),
      );
      try {
        return await answer(messageId, { ...o, onEvent: (e) => publisher.publish(e) });
      } finally {
        await publisher.finish();
      }
    },

    async ask(input) {
      const submitted = await submit(input);
      input.onMessages?.(submitted);
      const done = await answer(submitted.answer.id, {
        ...(input.onEvent ? { onEvent: input.onEvent } : {}),
        ...(input.signal ? { signal: input.signal } : {}),
      });
      return { ...submitted, answer: done.answer, outcome: done.outcome };
    },

    async history(sessionId) {
      const session = await requireSession(sessionId);
      return { session, messages: await listMessages(db, sessionId) };
    },

    message: (id) => findMessage(db, id),

    submitFeedback,

    async feedback(messageId, input, onEvent) {
      const stored = await submitFeedback(messageId, input);
      if (!stored.corrected) return stored;
      const done = await answer(stored.corrected.id, onEvent ? { onEvent } : {});
      return { feedback: stored.feedback, corrected: done.answer };
    },
  };
}
