import type { Hono } from 'hono';
import type { Logger } from '../../core/index.ts';
import type { Db } from '../../db/index.ts';
import type { Router } from '../../llm/index.ts';
import { createRoleApp } from '../http/index.ts';
import { createMetricsRoutes, type SummaryPart } from './routes.ts';

export interface MetricsAppOptions {
  readonly db: Db;
  readonly router?: Router;
  readonly summaryParts?: Readonly<Record<string, SummaryPart>>;
  readonly logger?: Logger;
}

/** The metrics server (`cogo metrics`): `/healthz`, `/metrics`, `/api/metrics/summary`, `/api/metrics/routing`. */
export function createMetricsApp(options: MetricsAppOptions): Hono {
  const app = createRoleApp({
    role: 'metrics',
    db: options.db,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  app.route(
    '/api/metrics',
    createMetricsRoutes({
      db: options.db,
      ...(options.router ? { router: options.router } : {}),
      ...(options.summaryParts ? { summaryParts: options.summaryParts } : {}),
    }),
  );
  return app;
}
