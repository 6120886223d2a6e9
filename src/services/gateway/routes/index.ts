import { Hono } from 'hono';
import { z } from 'zod';
import type { Logger } from '../../../core/index.ts';
import type { Db } from '../../../db/index.ts';
import { requestIndex, selectIndexRequest } from '../../../kg/index.ts';
import { describeIssues, errorHandler, fail } from '../respond.ts';

/** `POST /api/index` body: rebuild everything or only what changed, and the caller's request id. */
export const IndexRequestBodySchema = z.strictObject({
  full: z.boolean().default(false),
  requestId: z
    .string()
    .regex(/^[\x21-\x7e]{1,200}$/, 'must be printable ASCII without spaces')
    .optional(),
});

export interface IndexRoutesOptions {
  readonly db: Db;
  /** The repository the gateway serves: requests index it (a client never names a path). */
  readonly root: string;
  readonly logger?: Logger;
}

/**
 * `POST /api/index` records an index request for `cogo orchestrator` (202; the same `requestId`
 * again returns the first request, 200); `GET /api/index/:id` reports it (pending, running,
 * succeeded, failed, unchanged) with the run's report.
 */
export function createIndexRoutes(options: IndexRoutesOptions): Hono {
  const app = new Hono();
  app.post('/', async (c) => {
    // An empty body is an incremental request with a generated id.
    const raw = await c.req.text();
    let body: unknown = {};
    try {
      if (raw.trim() !== '') body = JSON.parse(raw);
    } catch {
      return c.json(fail('INVALID_REQUEST', 'The body must be JSON.'), 400);
    }
    const parsed = IndexRequestBodySchema.safeParse(body);
    if (!parsed.success) return c.json(fail('INVALID_REQUEST', describeIssues(parsed.error)), 400);
    const result = await requestIndex(options.db, {
      root: options.root,
      full: parsed.data.full,
      requestId: parsed.data.requestId,
      source: 'gateway',
    });
    return c.json({ ok: true, result }, result.created ? 202 : 200);
  });
  app.get('/:id', async (c) => {
    const request = await selectIndexRequest(options.db, c.req.param('id'));
    if (!request) return c.json(fail('NOT_FOUND', `No index request ${c.req.param('id')}.`), 404);
    return c.json({ ok: true, result: request });
  });
  app.onError(errorHandler(options.logger));
  return app;
}
