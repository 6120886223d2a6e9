import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The process-wide prom-client registry. Subsystems register their `cogo_*` metrics here;
 * every role exposes it on `/metrics`.
 */
export const registry = new Registry();

let defaultsCollected = false;

/** Adds Node's default process metrics (`cogo_process_*`, `cogo_nodejs_*`) once per process. */
export function collectProcessMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  collectDefaultMetrics({ register: registry, prefix: 'cogo_' });
}
