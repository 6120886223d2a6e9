import { Hono } from 'hono';
import { z } from 'zod';
import { chatSummary } from '../../chat/index.ts';
import type { Db } from '../../db/index.ts';
import { countJobEvents } from '../../jobs/index.ts';
import { type Router, spendReport } from '../../llm/index.ts';
import { describeIssues, fail } from '../gateway/respond.ts';

/** `GET /api/metrics/routing` query parameters. */
export const RoutingQuerySchema = z.strictObject({
  service: z.string().min(1).max(100),
  inputTokens: z.coerce.number().int().nonnegative().max(10_000_000).default(1000),
  maxOutputTokens: z.coerce.number().int().positive().max(1_000_000).default(1024),
});

const DURATION = /^(\d+)(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A point in time: an ISO date, or a duration back from now (`15m`, `24h`, `7d`). */
const instant = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const d = DURATION.exec(v);
    if (d) return new Date(Date.now() - Number(d[1]) * UNIT_MS[d[2] as keyof typeof UNIT_MS]);
    const t = Date.parse(v);
    if (Number.isNaN(t)) {
      ctx.addIssue({ code: 'custom', message: 'an ISO date or a duration such as 24h' });
      return z.NEVER;
    }
    return new Date(t);
  });

/** `GET /api/metrics/summary` query parameters: the window [from, to), by default the last 24 hours. */
export const SummaryQuerySchema = z
  .strictObject({ from: instant.optional(), to: instant.optional() })
  .transform((q) => ({ from: q.from ?? new Date(Date.now() - UNIT_MS.d), to: q.to ?? new Date() }))
  .refine((q) => q.from < q.to, { message: 'from must be before to', path: ['from'] });

/** Extra parts of the summary, from subsystems the metrics server is given (jobs, ...). */
export type SummaryPart = (db: Db, window: { from: Date; to: Date }) => Promise<unknown>;

export interface MetricsRoutesOptions {
  readonly db: Db;
  readonly router?: Router;
  readonly summaryParts?: Readonly<Record<string, SummaryPart>>;
}

/**
 * `/api/metrics/summary?from&to`: what every process did in a window, read from the durable tables
 * (LLM calls and spend, chat answers and feedback, job counters, and the parts given); `/api/metrics/routing?service=`:
 * the router's current ranking (no call is made).
 */
export function createMetricsRoutes(options: MetricsRoutesOptions): Hono {
  const app = new Hono();
  const { db } = options;
  app.get('/summary', async (c) => {
    const parsed = SummaryQuerySchema.safeParse(c.req.query());
    if (!parsed.success) return c.json(fail('INVALID_REQUEST', describeIssues(parsed.error)), 400);
    const window = parsed.data;
    const spend = await spendReport(db, window);
    const parts = Object.entries(options.summaryParts ?? {});
    const extra = await Promise.all(parts.map(([, part]) => part(db, window)));
    return c.json({
      ok: true,
      result: {
        from: window.from.toISOString(),
        to: window.to.toISOString(),
        llm: {
          calls: spend.reduce((n, r) => n + r.calls, 0),
          failed: spend.reduce((n, r) => n + r.failed, 0),
          tokensIn: spend.reduce((n, r) => n + r.tokensIn, 0),
          tokensOut: spend.reduce((n, r) => n + r.tokensOut, 0),
          costUsd: spend.reduce((n, r) => n + r.costUsd, 0),
          byModel: spend,
        },
        chat: await chatSummary(db, window),
        // claims, conflicts, retries and dlq recorded by every process in the window (job_events).
        jobs: await countJobEvents(db, window),
        ...Object.fromEntries(parts.map(([name], i) => [name, extra[i]])),
      },
    });
  });
  const router = options.router;
  if (router)
    // The router's current ranking for a service (the seed's /api/metrics/routing?service=chat): how
    // `npm run llm:health` moved the candidates shows here.
    app.get('/routing', async (c) => {
      const parsed = RoutingQuerySchema.safeParse(c.req.query());
      if (!parsed.success) return c.json(fail('INVALID_REQUEST', describeIssues(parsed.error)), 400);
      const q = parsed.data;
      return c.json({
        ok: true,
        result: await router.select(q.service, {
          inputTokens: q.inputTokens,
          maxOutputTokens: q.maxOutputTokens,
        }),
      });
    });
  return app;
}
