import { Hono } from 'hono';
import type { Logger } from '../../core/index.ts';
import type { Db } from '../../db/index.ts';
import { registry } from '../../metrics/index.ts';

export interface RoleAppOptions {
  /** `orchestrator`, `worker-index`, `worker-chat`, `metrics`. */
  readonly role: string;
  readonly db: Db;
  /** What the role says about itself on `/healthz` (jobs running, draining, ...). */
  readonly status?: () => Record<string, unknown>;
  readonly logger?: Logger;
}

/**
 * The HTTP face every role has: `GET /healthz` (200 while the database answers and the role is not
 * draining, else 503, with the role's own status) and `GET /metrics` (the process's prom-client
 * registry).
 */
export function createRoleApp(options: RoleAppOptions): Hono {
  const app = new Hono();
  app.get('/healthz', async (c) => {
    const status = options.status?.() ?? {};
    try {
      await options.db.query('select 1');
    } catch (error) {
      options.logger?.warn({ err: error }, 'health check: database query failed');
      return c.json(
        { ok: false, error: { code: 'DB_UNAVAILABLE', message: 'The database is unavailable.' } },
        503,
      );
    }
    if (status.draining === true)
      return c.json(
        { ok: false, error: { code: 'DRAINING', message: `${options.role} is shutting down.` } },
        503,
      );
    return c.json({ ok: true, result: { role: options.role, pid: process.pid, ...status } });
  });
  app.get('/metrics', async (c) =>
    c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }),
  );
  app.notFound((c) =>
    c.json({ ok: false, error: { code: 'NOT_FOUND', message: `No route for ${c.req.path}.` } }, 404),
  );
  return app;
}
