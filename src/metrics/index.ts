/** metrics: the prom-client registry every subsystem adds its `cogo_*` metrics to. */
export { collectProcessMetrics, registry } from './registry.ts';
