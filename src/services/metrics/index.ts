/** metrics: the metrics server role (`cogo metrics`) and the `/api/metrics/*` routes every API serves. */
export { createMetricsApp, type MetricsAppOptions } from './app.ts';
export {
  createMetricsRoutes,
  type MetricsRoutesOptions,
  RoutingQuerySchema,
  type SummaryPart,
  SummaryQuerySchema,
} from './routes.ts';
