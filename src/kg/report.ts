import type { SkippedPath } from './scan.ts';
import type { CallSample, CallStats } from './ts/relations.ts';

/** What an index run did, for people (`formatIndexReport`) and machines (`--json`, `kg_index_runs`). */
export interface IndexReport {
  readonly root: string;
  readonly mode: 'full' | 'incremental';
  readonly startedAt: string;
  readonly durationMs: number;
  readonly timingsMs: { readonly scan: number; readonly extract: number; readonly write: number };
  readonly files: {
    readonly inScope: number;
    readonly extracted: number;
    readonly unchanged: number;
    readonly deleted: number;
    /** Every file in scope that is not in the graph, with the reason (this run's and earlier ones'). */
    readonly skipped: readonly SkippedPath[];
  };
  readonly projects: ReadonlyArray<{ readonly name: string; readonly files: number }>;
  readonly configErrors: readonly SkippedPath[];
  /** Counts across the whole graph after the run. */
  readonly objects: Readonly<Record<string, number>>;
  readonly relations: Readonly<Record<string, number>>;
  /** Call sites across the whole graph, by how they resolved. */
  readonly calls: CallStats;
  readonly callSamples: readonly CallSample[];
  readonly unresolvedImports: ReadonlyArray<{ readonly path: string; readonly specifier: string }>;
}

export interface ProgressEvent {
  readonly phase: 'scan' | 'extract' | 'write' | 'done';
  readonly done: number;
  readonly total: number;
  readonly project?: string;
}

function counts(record: Readonly<Record<string, number>>): string {
  const entries = Object.entries(record);
  return entries.length === 0 ? 'none' : entries.map(([k, n]) => `${k} ${n}`).join(', ');
}

/** A human summary of an index run. */
export function formatIndexReport(r: IndexReport): string {
  const lines = [
    `Indexed ${r.root} (${r.mode}) in ${(r.durationMs / 1000).toFixed(2)} s ` +
      `(scan ${r.timingsMs.scan} ms, extract ${r.timingsMs.extract} ms, write ${r.timingsMs.write} ms)`,
    `  files:     ${r.files.inScope} in scope, ${r.files.extracted} extracted, ${r.files.unchanged} unchanged, ` +
      `${r.files.deleted} deleted, ${r.files.skipped.length} skipped`,
    `  projects:  ${r.projects.map((p) => `${p.name} (${p.files})`).join(', ') || 'none'}`,
    `  objects:   ${counts(r.objects)}`,
    `  relations: ${counts(r.relations)}`,
    `  calls:     ${r.calls.resolved} resolved, ${r.calls.unresolved} unresolved, ${r.calls.ambiguous} ambiguous, ` +
      `${r.calls.external} external, ${r.calls.local} to locals, ${r.calls.out_of_scope} out of scope`,
  ];
  for (const s of r.files.skipped) lines.push(`  skipped:   ${s.path}: ${s.reason}`);
  for (const e of r.configErrors) lines.push(`  tsconfig:  ${e.path}: ${e.reason}`);
  for (const u of r.unresolvedImports) lines.push(`  import:    ${u.path}: cannot resolve ${u.specifier}`);
  return lines.join('\n');
}
