import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from '../metrics/index.ts';
import type { IndexReport } from './report.ts';

const runs = new Counter({
  name: 'cogo_kg_index_runs_total',
  help: 'Knowledge-graph index runs, by mode (full, incremental).',
  labelNames: ['mode'] as const,
  registers: [registry],
});

const duration = new Histogram({
  name: 'cogo_kg_index_duration_seconds',
  help: 'Wall time of knowledge-graph index runs, by mode.',
  labelNames: ['mode'] as const,
  // A one-file re-index takes well under a second; a cold index of a large monorepo, minutes.
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
  registers: [registry],
});

const files = new Counter({
  name: 'cogo_kg_files_total',
  help: 'Files handled by index runs, by outcome (extracted, unchanged, skipped, deleted).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

/** Records an index run in the process's Prometheus registry. */
export function recordIndexRun(report: IndexReport): void {
  runs.inc({ mode: report.mode });
  duration.observe({ mode: report.mode }, report.durationMs / 1000);
  files.inc({ outcome: 'extracted' }, report.files.extracted);
  files.inc({ outcome: 'unchanged' }, report.files.unchanged);
  files.inc({ outcome: 'skipped' }, report.files.skipped.length);
  files.inc({ outcome: 'deleted' }, report.files.deleted);
}

const requests = new Gauge({
  name: 'cogo_index_requests',
  help: 'Index requests in the database by state, as the orchestrator last counted them (every tick).',
  labelNames: ['state'] as const,
  registers: [registry],
});

/** Sets the index request gauge from a count per state (states missing from `counts` are 0). */
export function recordIndexRequestCounts(
  states: readonly string[],
  counts: Readonly<Record<string, number>>,
): void {
  for (const state of states) requests.set({ state }, counts[state] ?? 0);
}
