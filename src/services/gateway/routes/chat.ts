import { type Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import {
  ChatError,
  type ChatMessageRecord,
  type ChatService,
  followAnswer,
  type Submitted,
} from '../../../chat/index.ts';
import type { Logger } from '../../../core/index.ts';
import type { Db } from '../../../db/index.ts';
import { describeIssues, fail } from '../respond.ts';

/** `POST /api/chat/sessions` body. */
export const CreateSessionSchema = z.strictObject({
  title: z.string().trim().min(1).max(200).optional(),
  created_by: z.string().trim().min(1).max(200).optional(),
});

/** `POST /api/chat/sessions/:id/messages` body. */
export const PostMessageSchema = z.strictObject({ content: z.string().trim().min(1).max(4000) });

/** `POST /api/chat/messages/:id/feedback` body: thumbs up (1, "up") or down (-1, "down"). */
export const FeedbackSchema = z.strictObject({
  rating: z
    .union([z.literal(1), z.literal(-1), z.literal('up'), z.literal('down')])
    .transform((r) => (r === 'up' || r === 1 ? 1 : -1) as 1 | -1),
  comment: z.string().trim().min(1).max(4000).optional(),
  correction: z.string().trim().min(1).max(4000).optional(),
  created_by: z.string().trim().min(1).max(200).optional(),
});

const UUID = z.uuid();

const STATUS: Partial<Record<string, 400 | 404>> = {
  SESSION_NOT_FOUND: 404,
  MESSAGE_NOT_FOUND: 404,
  INVALID_QUESTION: 400,
  INVALID_FEEDBACK: 400,
};

/** The JSON body; undefined when there is none, a symbol when it is not JSON. */
async function readJson(c: { req: { text: () => Promise<string> } }): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim().length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return Symbol.for('invalid-json');
  }
}

/**
 * Chat over HTTP: sessions, a question answered as a Server-Sent Events stream (`start`, `delta`,
 * `restart`, `critics`, then `final` with the stored message and its LLM Response JSON v1, or
 * `error`), the history, and feedback (a thumbs-down with a comment or correction is answered again).
 */
export interface ChatRoutesOptions {
  readonly chat: ChatService;
  /** Where answers are followed over LISTEN/NOTIFY (needed with `dispatch`). */
  readonly db?: Db;
  /** Distributed mode: hands a pending answer to the chat workers (enqueues its job). */
  readonly dispatch?: (messageId: string) => Promise<void>;
  /** How long a stream waits for a worker's final answer; default: as long as the client stays. */
  readonly followTimeoutMs?: number;
  readonly logger?: Logger;
}

export function createChatRoutes(options: ChatRoutesOptions): Hono {
  const { chat } = options;
  const app = new Hono();
  const chatError = (c: Context, error: unknown): Response => {
    const status = error instanceof ChatError ? STATUS[error.code] : undefined;
    if (error instanceof ChatError && status) return c.json(fail(error.code, error.message), status);
    throw error;
  };
  const badId = (id: string) => !UUID.safeParse(id).success;

  app.post('/sessions', async (c) => {
    const body = await readJson(c);
    const parsed = CreateSessionSchema.safeParse(typeof body === 'symbol' ? undefined : (body ?? {}));
    if (!parsed.success)
      return c.json(
        fail('INVALID_REQUEST', typeof body === 'symbol' ? 'body: not JSON' : describeIssues(parsed.error)),
        400,
      );
    const session = await chat.createSession({
      ...(parsed.data.title ? { title: parsed.data.title } : {}),
      ...(parsed.data.created_by ? { createdBy: parsed.data.created_by } : {}),
    });
    return c.json({ ok: true, result: session }, 201);
  });

  app.get('/sessions/:id/messages', async (c) => {
    const id = c.req.param('id');
    if (badId(id)) return c.json(fail('INVALID_REQUEST', 'id: not a session id'), 400);
    try {
      return c.json({ ok: true, result: await chat.history(id) });
    } catch (error) {
      return chatError(c, error);
    }
  });

  app.post('/sessions/:id/messages', async (c) => {
    const id = c.req.param('id');
    if (badId(id)) return c.json(fail('INVALID_REQUEST', 'id: not a session id'), 400);
    const body = await readJson(c);
    const parsed = PostMessageSchema.safeParse(typeof body === 'symbol' ? undefined : body);
    if (!parsed.success)
      return c.json(
        fail('INVALID_REQUEST', typeof body === 'symbol' ? 'body: not JSON' : describeIssues(parsed.error)),
        400,
      );
    let submitted: Submitted;
    try {
      submitted = await chat.submit({ sessionId: id, question: parsed.data.content });
    } catch (error) {
      return chatError(c, error);
    }
    return streamAnswer(c, submitted.answer.id, {
      session_id: submitted.session.id,
      question_id: submitted.question.id,
      message_id: submitted.answer.id,
    });
  });

  // Follows an answer being given (or given already): a client that lost its stream resumes here.
  app.get('/messages/:id/events', async (c) => {
    const id = c.req.param('id');
    if (badId(id)) return c.json(fail('INVALID_REQUEST', 'id: not a message id'), 400);
    const message = await chat.message(id);
    if (!message || message.role !== 'assistant')
      return c.json(fail('MESSAGE_NOT_FOUND', `no assistant message ${id}`), 404);
    return streamAnswer(
      c,
      id,
      { session_id: message.sessionId, question_id: message.replyTo, message_id: id },
      false,
    );
  });

  /**
   * The SSE stream of one answer. With `dispatch` (distributed mode) the answer is given by a chat
   * worker and followed over LISTEN/NOTIFY; without it, it is given here.
   */
  const streamAnswer = (c: Context, messageId: string, start: Record<string, unknown>, answerHere = true) => {
    const abort = new AbortController();
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => abort.abort());
      const send = (event: string, data: unknown) => stream.writeSSE({ event, data: JSON.stringify(data) });
      // Writes are queued in order; the answer does not wait on a slow client.
      let queue = Promise.resolve();
      const enqueue = (event: string, data: unknown) => {
        queue = queue.then(() => send(event, data)).catch(() => undefined);
      };
      enqueue('start', start);
      try {
        let final: ChatMessageRecord;
        if (options.dispatch || !answerHere) {
          const { db, dispatch } = options;
          if (!db) throw new Error('following an answer needs the database');
          final = await followAnswer(db, messageId, () => chat.message(messageId), {
            signal: abort.signal,
            ...(options.followTimeoutMs ? { timeoutMs: options.followTimeoutMs } : {}),
            onEvent: (e) => enqueue(e.type, e.data),
            ...(answerHere && dispatch ? { onListening: () => dispatch(messageId) } : {}),
          });
        } else {
          final = (
            await chat.answer(messageId, {
              signal: abort.signal,
              onEvent: (e) => {
                if (e.type === 'delta') enqueue('delta', { text: e.text });
                else if (e.type === 'restart') enqueue('restart', { reason: e.reason });
                else if (e.type === 'critics') enqueue('critics', { round: e.round, results: e.results });
              },
            })
          ).answer;
        }
        if (final.status === 'failed')
          enqueue('error', { code: final.errorCode, message: final.errorMessage, message_id: final.id });
        enqueue('final', { message: final, response: final.response });
      } catch (error) {
        if (!abort.signal.aborted) options.logger?.error({ err: error }, 'chat stream failed');
        const code = error instanceof ChatError ? error.code : 'INTERNAL';
        enqueue('error', {
          code,
          message: error instanceof ChatError ? error.message : 'The answer failed.',
          message_id: messageId,
        });
      }
      await queue;
    });
  };

  app.post('/messages/:id/feedback', async (c) => {
    const id = c.req.param('id');
    if (badId(id)) return c.json(fail('INVALID_REQUEST', 'id: not a message id'), 400);
    const body = await readJson(c);
    const parsed = FeedbackSchema.safeParse(typeof body === 'symbol' ? undefined : body);
    if (!parsed.success)
      return c.json(
        fail('INVALID_REQUEST', typeof body === 'symbol' ? 'body: not JSON' : describeIssues(parsed.error)),
        400,
      );
    const f = parsed.data;
    try {
      const input = {
        rating: f.rating,
        ...(f.comment ? { comment: f.comment } : {}),
        ...(f.correction ? { correction: f.correction } : {}),
        ...(f.created_by ? { createdBy: f.created_by } : {}),
      };
      // Distributed: the corrected answer is a pending message a chat worker answers (follow it at
      // GET /messages/:id/events); otherwise it is answered before the response.
      if (options.dispatch) {
        const stored = await chat.submitFeedback(id, input);
        if (stored.corrected) await options.dispatch(stored.corrected.id);
        return c.json({ ok: true, result: stored }, 201);
      }
      return c.json({ ok: true, result: await chat.feedback(id, input) }, 201);
    } catch (error) {
      return chatError(c, error);
    }
  });

  return app;
}
