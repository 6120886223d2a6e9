import { Hono } from 'hono';
import { z } from 'zod';
import type { Logger } from '../../../core/index.ts';
import type { Router } from '../../../llm/index.ts';
import { type AuthVariables, type JwtAuthOptions, jwtAuth } from '../auth.ts';
import { describeIssues, errorHandler, fail } from '../respond.ts';

/** `POST router-select` body: which service asks, how large the request is, and an intended model. */
export const RouterSelectRequestSchema = z.strictObject({
  service: z.string().min(1).max(100),
  inputTokens: z.number().int().nonnegative().max(10_000_000).default(0),
  maxOutputTokens: z.number().int().positive().max(1_000_000).default(1024),
  capabilityClass: z.string().min(1).max(100).optional(),
  intendedModel: z.string().min(1).max(300).optional(),
});

export interface RouterSelectRoutesOptions extends JwtAuthOptions {
  readonly router: Router;
  readonly logger?: Logger;
}

/**
 * The router-select handler, served by the gateway (`POST /api/router-select`) and by the Supabase
 * Edge Function `router-select` alike: ranks the deployments for a request and returns the decision
 * (candidates with score terms or filter reasons, the chain, intended and selected model).
 */
export function createRouterSelectRoutes(
  options: RouterSelectRoutesOptions,
): Hono<{ Variables: AuthVariables }> {
  const app = new Hono<{ Variables: AuthVariables }>();
  app.use('*', jwtAuth(options));
  app.post('/', async (c) => {
    const body = await c.req.json().catch(() => undefined);
    if (body === undefined) return c.json(fail('INVALID_REQUEST', 'The body must be JSON.'), 400);
    const parsed = RouterSelectRequestSchema.safeParse(body);
    if (!parsed.success) return c.json(fail('INVALID_REQUEST', describeIssues(parsed.error)), 400);
    const r = parsed.data;
    const result = await options.router.select(
      r.service,
      {
        inputTokens: r.inputTokens,
        maxOutputTokens: r.maxOutputTokens,
        ...(r.capabilityClass ? { capabilityClass: r.capabilityClass } : {}),
      },
      r.intendedModel ? { intendedModel: r.intendedModel } : {},
    );
    return c.json({ ok: true, result });
  });
  app.onError(errorHandler(options.logger));
  return app;
}
