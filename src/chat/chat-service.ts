/**
 * Sessions, messages and feedback around `askRag`: a question is stored, answered (streamed through
 * `onEvent`), and the assistant message goes pending -> streaming -> complete (or failed, with the
 * error's code). Thumbs-down feedback with a comment or correction produces a corrected answer
 * linked to the original.
 */
import { errorMessage, type Logger } from '../core/index.ts';
import type { Db } from '../db/index.ts';
import type { Embedder } from '../search/index.ts';
import type { Answerer, HistoryTurn } from './answerer.ts';
import { type AskEvent, type AskOutcome, askRag } from './ask.ts';
import { ChatError } from './errors.ts';
import { recordFailure } from './metrics.ts';
import {
  type ChatMessageRecord,
  type ChatSession,
  completeMessage,
  type FeedbackRecord,
  failMessage,
  findMessage,
  findSession,
  insertFeedback,
  insertMessage,
  insertSession,
  linkCorrection,
  listMessages,
  markStreaming,
} from './store.ts';

export const MAX_QUESTION_CHARS = 4000;

export interface ChatServiceOptions {
  readonly db: Db;
  readonly root: string;
  readonly answerer: Answerer;
  readonly embedder?: Embedder;
  readonly maxRounds?: number;
  readonly budgetTokens?: number;
  readonly logger?: Logger;
}

export interface AskResult {
  readonly session: ChatSession;
  readonly question: ChatMessageRecord;
  readonly answer: ChatMessageRecord;
  /** Null when the answer failed (`answer.status` is `failed`). */
  readonly outcome: AskOutcome | null;
}

export interface FeedbackInput {
  readonly rating: 1 | -1;
  readonly comment?: string;
  readonly correction?: string;
  readonly createdBy?: string;
}

export interface ChatService {
  createSession(options?: { title?: string; createdBy?: string }): Promise<ChatSession>;
  /** Asks in a session (a new one when `sessionId` is absent). Answer failures are stored, not thrown. */
  ask(input: {
    sessionId?: string;
    question: string;
    onEvent?: (e: AskEvent) => void;
    /** Called once both messages are stored, before answering starts. */
    onMessages?: (m: {
      session: ChatSession;
      question: ChatMessageRecord;
      answer: ChatMessageRecord;
    }) => void;
    signal?: AbortSignal;
  }): Promise<AskResult>;
  history(sessionId: string): Promise<{ session: ChatSession; messages: ChatMessageRecord[] }>;
  /** Stores feedback; a thumbs-down with a comment or correction is answered again, linked to the original. */
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

export function createChatService(options: ChatServiceOptions): ChatService {
  const { db } = options;

  const requireSession = async (id: string) => {
    const session = await findSession(db, id);
    if (!session) throw new ChatError('SESSION_NOT_FOUND', `no chat session ${id}`);
    return session;
  };

  const historyOf = (messages: readonly ChatMessageRecord[]): HistoryTurn[] =>
    messages.filter((m) => m.status === 'complete').map((m) => ({ role: m.role, content: m.content }));

  /** Answers into a pending assistant message. */
  const answerInto = async (
    message: ChatMessageRecord,
    question: string,
    history: HistoryTurn[],
    extra: Pick<Parameters<typeof askRag>[1], 'correction' | 'onEvent' | 'signal'>,
  ): Promise<{ answer: ChatMessageRecord; outcome: AskOutcome | null }> => {
    let marked = false;
    try {
      const outcome = await askRag(
        {
          db,
          root: options.root,
          answerer: options.answerer,
          ...(options.embedder ? { embedder: options.embedder } : {}),
          ...(options.maxRounds !== undefined ? { maxRounds: options.maxRounds } : {}),
          ...(options.budgetTokens ? { budgetTokens: options.budgetTokens } : {}),
        },
        {
          question,
          history,
          ...extra,
          onEvent: (e) => {
            if (e.type === 'delta' && !marked) {
              marked = true;
              void markStreaming(db, message.id, options.answerer.name).catch((error) =>
                options.logger?.warn({ err: error }, 'chat: could not mark a message streaming'),
              );
            }
            extra.onEvent?.(e);
          },
        },
      );
      const last = outcome.usage.at(-1);
      const answer = await completeMessage(db, message.id, {
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
      return { answer, outcome };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const errorCode = typeof code === 'string' ? code : 'ANSWER_FAILED';
      recordFailure(errorCode);
      options.logger?.warn({ err: error, messageId: message.id }, 'chat: answer failed');
      const answer = await failMessage(db, message.id, errorCode, errorMessage(error));
      return { answer, outcome: null };
    }
  };

  return {
    createSession: (o = {}) => insertSession(db, { title: o.title ?? null, createdBy: o.createdBy ?? null }),

    async ask(input) {
      const question = input.question.trim();
      if (question.length === 0 || question.length > MAX_QUESTION_CHARS)
        throw new ChatError('INVALID_QUESTION', `a question has 1 to ${MAX_QUESTION_CHARS} characters`);
      const session = input.sessionId
        ? await requireSession(input.sessionId)
        : await insertSession(db, { title: question.slice(0, 80) });
      const history = historyOf(await listMessages(db, session.id));
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
      });
      input.onMessages?.({ session, question: q, answer: pending });
      const { answer, outcome } = await answerInto(pending, question, history, {
        ...(input.onEvent ? { onEvent: input.onEvent } : {}),
        ...(input.signal ? { signal: input.signal } : {}),
      });
      return { session, question: q, answer, outcome };
    },

    async history(sessionId) {
      const session = await requireSession(sessionId);
      return { session, messages: await listMessages(db, sessionId) };
    },

    async feedback(messageId, input, onEvent) {
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
      const said = [input.comment, input.correction]
        .filter((s): s is string => !!s && s.trim().length > 0)
        .join('\n');
      if (input.rating !== -1 || said.length === 0 || !original.response || !original.replyTo)
        return { feedback, corrected: null };
      const question = await findMessage(db, original.replyTo);
      if (!question) return { feedback, corrected: null };
      const all = await listMessages(db, original.sessionId);
      const history = historyOf(all.filter((m) => m.seq < question.seq));
      const pending = await insertMessage(db, {
        sessionId: original.sessionId,
        role: 'assistant',
        content: '',
        status: 'pending',
        replyTo: question.id,
        correctsId: original.id,
      });
      const { answer } = await answerInto(pending, question.content, history, {
        correction: { previous: original.response, text: said },
        ...(onEvent ? { onEvent } : {}),
      });
      await linkCorrection(db, feedback.id, answer.id);
      return { feedback: { ...feedback, correctedMessageId: answer.id }, corrected: answer };
    },
  };
}
