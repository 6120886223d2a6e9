import type { SearchIndexReport } from './indexer.ts';
import type { SearchResult } from './retrieve.ts';

/** Human-readable search hits: rank, kind, symbol, place, score and its breakdown, first lines. */
export function formatSearchResult(r: SearchResult): string {
  const head = `${r.hits.length} hits for ${JSON.stringify(r.query)} in ${r.tookMs} ms (fusion ${r.fusion}, vectors: ${r.vectorPath}${r.model ? ` ${r.model}` : ''})`;
  if (r.hits.length === 0) return `${head}\n  (none)`;
  const lines = [head];
  r.hits.forEach((h, i) => {
    const s = h.scores;
    const why = [
      s.name ? `name ${s.name.match} #${s.name.rank}` : '',
      s.keyword ? `keyword #${s.keyword.rank}` : '',
      s.vector ? `vector #${s.vector.rank} (${s.vector.score.toFixed(3)})` : '',
      s.graph && s.graph.inDegree > 0 ? `in-degree ${s.graph.inDegree}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    lines.push(
      `${String(i + 1).padStart(2)}. ${h.kind} ${h.symbol ?? h.name ?? ''}  ${h.path}:${h.startLine}-${h.endLine}  score ${h.score.toFixed(4)} [${why}]`,
    );
    if (h.signature) lines.push(`      ${h.signature}`);
  });
  return lines.join('\n');
}

export function formatSearchIndexReport(r: SearchIndexReport): string {
  const e = r.embeddings;
  return [
    `Search index: ${r.files.chunked} files chunked, ${r.files.unchanged} unchanged, ${r.files.removed} removed; ` +
      `${r.chunks.written} chunks written, ${r.chunks.total} in all (${r.durationMs} ms)`,
    `  embeddings: ${e.embedded} new with ${e.model} (${e.dimension} dims, stored as ${e.storage}), ${e.current} current` +
      (e.error ? `\n  embedding stopped: ${e.error} (keyword search still works; the next run resumes)` : ''),
    ...r.files.changedDuringRun.map((p) => `  changed during the run (next run picks it up): ${p}`),
  ].join('\n');
}
