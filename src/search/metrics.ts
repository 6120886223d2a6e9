import { Counter, Histogram } from 'prom-client';
import { registry } from '../metrics/index.ts';
import type { SearchIndexReport } from './indexer.ts';
import type { SearchResult } from './retrieve.ts';

const queryDuration = new Histogram({
  name: 'cogo_search_query_duration_seconds',
  help: 'searchCode wall time, by fusion mode and vector path.',
  labelNames: ['fusion', 'vector_path'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});

const embedded = new Counter({
  name: 'cogo_search_chunks_embedded_total',
  help: 'Chunks embedded by search index runs, by model.',
  labelNames: ['model'] as const,
  registers: [registry],
});

const embeddingFailures = new Counter({
  name: 'cogo_search_embedding_failures_total',
  help: 'Search index runs whose embedding step stopped on a provider error, by model.',
  labelNames: ['model'] as const,
  registers: [registry],
});

export function recordSearch(result: SearchResult): void {
  queryDuration.observe({ fusion: result.fusion, vector_path: result.vectorPath }, result.tookMs / 1000);
}

export function recordSearchIndex(report: SearchIndexReport): void {
  embedded.inc({ model: report.embeddings.model }, report.embeddings.embedded);
  if (report.embeddings.error) embeddingFailures.inc({ model: report.embeddings.model });
}
