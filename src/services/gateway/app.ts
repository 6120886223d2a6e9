import { Hono, type MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { Counter, Histogram } from 'prom-client';
import { z } from 'zod';
import type { ChatService } from '../../chat/index.ts';
import type { Logger } from '../../core/index.ts';
import type { Db } from '../../db/index.ts';
import type { KeyVault, Router } from '../../llm/index.ts';
import { registry } from '../../metrics/index.ts';
import { DEFAULT_FUSION, type Embedder, FUSION_MODES, searchCode } from '../../search/index.ts';
import { createMetricsRoutes } from '../metrics/routes.ts';
import type { JwtAuthOptions } from './auth.ts';
import { describeIssues, errorHandler, fail, SAFE_MESSAGES } from './respond.ts';
import { createChatRoutes } from './routes/chat.ts';
import { createIndexRoutes } from './routes/index.ts';
import { createKeyVaultRoutes } from './routes/key-vault.ts';
import { createRouterSelectRoutes } from './routes/router-select.ts';

export type { ApiResponse } from './respond.ts';

/** What `createGatewayApp` serves from. */
export interface GatewayAppOptions {
  /** Searched by `/api/search/code` and probed by `/healthz`. */
  readonly db: Db;
  /** Enables vector retrieval in search; without one, keyword, name and graph signals only. */
  readonly embedder?: Embedder;
  /** The in-process vector scan's memory budget (bytes) where the database has no pgvector; see `searchCode`. */
  readonly vectorMemoryBytes?: number;
  /** Receives the details (stack, SQL) that responses leave out. */
  readonly logger?: Logger;
  /** Serves `POST /api/router-select` (with `auth`). */
  readonly router?: Router;
  /** Serves `/api/key-vault/keys...` (with `auth`). */
  readonly vault?: KeyVault;
  /** JWT checks for router-select and key-vault; without it those routes are not served. */
  readonly auth?: JwtAuthOptions;
  /** Serves `/api/chat/...` (sessions, SSE answers, history, feedback). */
  readonly chat?: ChatService;
  /** Distributed mode: answers go to chat workers through this (their job queue) and are followed over NOTIFY. */
  readonly dispatchChat?: (messageId: string) => Promise<void>;
  /** Serves `POST /api/index` and `GET /api/index/:id` for this repository (requests for `cogo orchestrator`). */
  readonly indexRoot?: string;
}

/** The error codes the gateway itself produces; others come from the errors it catches (`DB_QUERY_FAILED`, ...). */
export const GATEWAY_ERROR_CODES = ['INVALID_REQUEST', 'NOT_FOUND', 'DB_UNAVAILABLE', 'INTERNAL'] as const;
/** One of `GATEWAY_ERROR_CODES`. */
export type GatewayErrorCode = (typeof GATEWAY_ERROR_CODES)[number];

const MAX_LIST_ITEMS = 20;
const commaList = (name: string) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v.length > 0),
    )
    .pipe(z.array(z.string().max(50)).min(1, `${name} needs at least one value`).max(MAX_LIST_ITEMS));

/** `GET /api/search/code` query parameters. `tag` may repeat; every tag must be present on a hit. */
export const SearchCodeQuerySchema = z.strictObject({
  q: z.string().min(1).max(500),
  lang: commaList('lang').optional(),
  kind: commaList('kind').optional(),
  path: z.string().min(1).max(500).optional(),
  tag: z.array(z.string().min(1).max(100)).max(MAX_LIST_ITEMS).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(10),
  fusion: z.enum(FUSION_MODES).default(DEFAULT_FUSION),
});

interface HttpMetrics {
  readonly requests: Counter<'route' | 'method' | 'status'>;
  readonly duration: Histogram<'route' | 'method'>;
}

// The registry is process-wide and rejects a second metric of one name: reuse what is registered.
function httpMetrics(): HttpMetrics {
  const requests =
    (registry.getSingleMetric('cogo_http_requests_total') as
      | Counter<'route' | 'method' | 'status'>
      | undefined) ??
    new Counter({
      name: 'cogo_http_requests_total',
      help: 'HTTP requests served, by route pattern, method and status.',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry],
    });
  const duration =
    (registry.getSingleMetric('cogo_http_request_duration_seconds') as
      | Histogram<'route' | 'method'>
      | undefined) ??
    new Histogram({
      name: 'cogo_http_request_duration_seconds',
      help: 'HTTP request duration in seconds, by route pattern and method.',
      labelNames: ['route', 'method'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  return { requests, duration };
}

/**
 * The gateway's HTTP API as a Hono app: `GET /api/search/code`, `GET /healthz` and `GET /metrics`.
 * Every JSON response is `{ ok: true, result }` or `{ ok: false, error: { code, message } }`: 400
 * `INVALID_REQUEST` for a bad query string, 404 `NOT_FOUND`, 503 `DB_UNAVAILABLE` from `/healthz`, and
 * 500 with the thrown error's `code` (or `INTERNAL`) for failures, whose details go to `logger` only.
 * Requests are counted in `cogo_http_requests_total` and `cogo_http_request_duration_seconds`.
 *
 * @example
 * const app = createGatewayApp({ db, embedder: createLocalEmbedder(), logger });
 * const res = await app.request('/api/search/code?q=loadConfig&kind=function&limit=5');
 */
export function createGatewayApp(options: GatewayAppOptions): Hono {
  const { db, embedder, logger } = options;
  const metrics = httpMetrics();
  const app = new Hono();

  const track: MiddlewareHandler = async (c, next) => {
    const t0 = performance.now();
    await next();
    // The route pattern, not the URL, keeps label cardinality bounded; when this middleware is the
    // last match, no route did (a 404).
    const last = matchedRoutes(c).at(-1);
    const route = last && last.handler !== track ? last.path : 'unmatched';
    const method = c.req.method;
    metrics.requests.inc({ route, method, status: String(c.res.status) });
    metrics.duration.observe({ route, method }, (performance.now() - t0) / 1000);
  };
  app.use('*', track);

  app.get('/healthz', async (c) => {
    try {
      await db.query('select 1');
    } catch (error) {
      logger?.warn({ err: error }, 'health check: database query failed');
      return c.json(fail('DB_UNAVAILABLE', SAFE_MESSAGES.DB_UNAVAILABLE!), 503);
    }
    return c.json({ ok: true, result: { status: 'ok' } } as const);
  });

  app.get('/metrics', async (c) => {
    const text = await registry.metrics();
    return c.body(text, 200, { 'content-type': registry.contentType });
  });

  app.get('/api/search/code', async (c) => {
    const queries = c.req.queries();
    const input = Object.fromEntries(
      Object.entries(queries).map(([key, values]) => [
        key,
        key === 'tag' || values.length > 1 ? values : values[0],
      ]),
    );
    const parsed = SearchCodeQuerySchema.safeParse(input);
    if (!parsed.success) return c.json(fail('INVALID_REQUEST', describeIssues(parsed.error)), 400);
    const p = parsed.data;
    const result = await searchCode(db, p.q, {
      limit: p.limit,
      fusion: p.fusion,
      ...(p.lang ? { languages: p.lang } : {}),
      ...(p.kind ? { kinds: p.kind } : {}),
      ...(p.path ? { path: p.path } : {}),
      ...(p.tag ? { tags: p.tag } : {}),
      ...(embedder ? { embedder } : {}),
      ...(options.vectorMemoryBytes === undefined ? {} : { vectorMemoryBytes: options.vectorMemoryBytes }),
    });
    return c.json({ ok: true, result });
  });

  app.route(
    '/api/metrics',
    createMetricsRoutes({ db, ...(options.router ? { router: options.router } : {}) }),
  );

  const withLogger = logger ? { logger } : {};
  if (options.chat)
    app.route(
      '/api/chat',
      createChatRoutes({
        chat: options.chat,
        db,
        ...(options.dispatchChat ? { dispatch: options.dispatchChat } : {}),
        ...withLogger,
      }),
    );
  if (options.indexRoot)
    app.route('/api/index', createIndexRoutes({ db, root: options.indexRoot, ...withLogger }));
  if (options.router && options.auth)
    app.route(
      '/api/router-select',
      createRouterSelectRoutes({ router: options.router, ...options.auth, ...withLogger }),
    );
  if (options.vault && options.auth)
    app.route(
      '/api/key-vault',
      createKeyVaultRoutes({ vault: options.vault, ...options.auth, ...withLogger }),
    );

  app.notFound((c) => c.json(fail('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}.`), 404));

  app.onError(errorHandler(logger));

  return app;
}
