import { type Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import { ChatError, type ChatService } from '../../../chat/index.ts';
import type { Logger } from '../../../core/index.ts';
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

async function readJson(c: { req: { json: () => Promise<unknown> } }): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    return Symbol.for('invalid-json');
  }
}

/**
 * Chat over HTTP: sessions, a question answered as a Server-Sent Events stream (`start`, `delta`,
 * `restart`, `critics`, then `final` with the stored message and its LLM Response JSON v1, or
 * `error`), the history, and feedback (a thumbs-down with a comment or correction is answered again).
 */
export function createChatRoutes(options: { chat: ChatService; logger?: Logger }): Hono {
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
    // A missing session is a 404 before the stream starts.
    try {
      await chat.history(id);
    } catch (error) {
      return chatError(c, error);
    }
    const abort = new AbortController();
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => abort.abort());
      const send = (event: string, data: unknown) => stream.writeSSE({ event, data: JSON.stringify(data) });
      // Writes are queued in order; the answer does not wait on a slow client.
      let queue = Promise.resolve();
      const enqueue = (event: string, data: unknown) => {
        queue = queue.then(() => send(event, data)).catch(() => undefined);
      };
      try {
        const result = await chat.ask({
          sessionId: id,
          question: parsed.data.content,
          signal: abort.signal,
          onMessages: (m) =>
            enqueue('start', {
              session_id: m.session.id,
              question_id: m.question.id,
              message_id: m.answer.id,
            }),
          onEvent: (e) => {
            if (e.type === 'delta') enqueue('delta', { text: e.text });
            else if (e.type === 'restart') enqueue('restart', { reason: e.reason });
            else if (e.type === 'critics') enqueue('critics', { round: e.round, results: e.results });
          },
        });
        if (result.answer.status === 'failed')
          enqueue('error', {
            code: result.answer.errorCode,
            message: result.answer.errorMessage,
            message_id: result.answer.id,
          });
        enqueue('final', { message: result.answer, response: result.answer.response });
      } catch (error) {
        options.logger?.error({ err: error }, 'chat stream failed');
        const code = error instanceof ChatError ? error.code : 'INTERNAL';
        enqueue('error', {
          code,
          message: error instanceof ChatError ? error.message : 'The answer failed.',
        });
      }
      await queue;
    });
  });

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
      const result = await chat.feedback(id, {
        rating: f.rating,
        ...(f.comment ? { comment: f.comment } : {}),
        ...(f.correction ? { correction: f.correction } : {}),
        ...(f.created_by ? { createdBy: f.created_by } : {}),
      });
      return c.json({ ok: true, result }, 201);
    } catch (error) {
      return chatError(c, error);
    }
  });

  return app;
}
