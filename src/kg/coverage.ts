import type { Db } from '../db/index.ts';
import { computeDeclarationCoverage, type DeclarationCoverage } from './declaration-coverage.ts';

/**
 * The coverage figures: four over the stored graph, and two measured against the source files as
 * the compiler and the reader see them (declarations the compiler binds, non-blank lines).
 */
export const COVERAGE_METRICS = [
  'params',
  'returns',
  'fields',
  'lines',
  'declarations',
  'chunk_lines',
] as const;
export type CoverageMetric = (typeof COVERAGE_METRICS)[number];

/** Counts the source lines some search chunk holds (search's `computeChunkCoverage`; kg cannot import search). */
export type ChunkLineCounter = (db: Db, root: string) => Promise<CoverageFigure>;

export interface CoverageOptions {
  /** The repository on disk; without it `declarations` and `chunk_lines` are not measured (`n/a`). */
  readonly root?: string | undefined;
  readonly chunkLines?: ChunkLineCounter | undefined;
}

/** One coverage figure: numerator and denominator as KG_SCOPE_V1.md defines them. */
export interface CoverageFigure {
  readonly numerator: number;
  readonly denominator: number;
  /** 0-100, or null when there is nothing to measure. */
  readonly percent: number | null;
}

export type CoverageReport = Readonly<Record<CoverageMetric, CoverageFigure>>;
export type CoverageThresholds = Readonly<Record<CoverageMetric, number>>;

export interface GateResult {
  readonly ok: boolean;
  readonly failures: ReadonlyArray<{
    readonly metric: CoverageMetric;
    readonly percent: number;
    readonly min: number;
  }>;
}

// A type the checker could only call `any` (no annotation, nothing to infer from) is not known.
const KNOWN_TYPE = `(e->>'type') is not null and not ((e->>'type_inferred')::boolean and e->>'type' = 'any')`;

const QUERIES: Record<'params' | 'returns' | 'fields' | 'lines', string> = {
  params: `select count(*) filter (where ${KNOWN_TYPE})::int as num, count(*)::int as den
             from cbo_objects o, jsonb_array_elements(o.params_json) e
            where o.language = 'ts' and o.kind in ('function', 'method') and o.file_path is not null`,
  returns: `select count(*) filter (where (returns_json->>'type') is not null
                 and not ((returns_json->>'inferred')::boolean and returns_json->>'type' = 'any'))::int as num,
                 count(*)::int as den
              from cbo_objects
             where language = 'ts' and kind in ('function', 'method') and file_path is not null
               and returns_json is not null`,
  fields: `select count(*) filter (where ${KNOWN_TYPE})::int as num, count(*)::int as den
             from cbo_objects o, jsonb_array_elements(o.fields_json) e
            where o.language = 'ts' and o.kind in ('class', 'interface', 'type') and o.file_path is not null
              and coalesce(o.metadata->>'type_kind', '') <> 'enum'`,
  lines: `select count(*) filter (where o.start_line >= 1 and o.end_line >= o.start_line
                 and f.line_count is not null and o.end_line <= f.line_count)::int as num,
                 count(*)::int as den
            from cbo_objects o left join kg_files f on f.path = o.file_path
           where o.language = 'ts' and o.file_path is not null`,
};

const NOT_MEASURED: CoverageFigure = { numerator: 0, denominator: 0, percent: null };

/**
 * Computes the coverage figures: the graph's own four, declaration coverage against the compiler's
 * view of the files under `root`, and the chunk line coverage `chunkLines` counts.
 */
export async function computeCoverage(db: Db, options: CoverageOptions = {}): Promise<CoverageReport> {
  const out: Partial<Record<CoverageMetric, CoverageFigure>> = {};
  const { root, chunkLines } = options;
  out.declarations = root === undefined ? NOT_MEASURED : await computeDeclarationCoverage(db, root);
  out.chunk_lines =
    root === undefined || chunkLines === undefined ? NOT_MEASURED : await chunkLines(db, root);
  for (const metric of ['params', 'returns', 'fields', 'lines'] as const) {
    const { rows } = await db.query<{ num: number; den: number }>(QUERIES[metric]);
    const { num, den } = rows[0] ?? { num: 0, den: 0 };
    out[metric] = {
      numerator: num,
      denominator: den,
      percent: den === 0 ? null : Math.round((num / den) * 10_000) / 100,
    };
  }
  return out as CoverageReport;
}

/** Checks each figure against its minimum; a metric with nothing to measure passes. */
export function checkCoverageGate(report: CoverageReport, min: CoverageThresholds): GateResult {
  const failures = COVERAGE_METRICS.flatMap((metric) => {
    const percent = report[metric].percent;
    return percent !== null && percent < min[metric] ? [{ metric, percent, min: min[metric] }] : [];
  });
  return { ok: failures.length === 0, failures };
}

function percentText(f: CoverageFigure): string {
  return f.percent === null ? '   n/a' : `${f.percent.toFixed(2).padStart(6)}%`;
}

/** One line per metric, and under `declarations` one per declaration kind and the first ones missing. */
export function formatCoverage(report: CoverageReport, min: CoverageThresholds): string {
  const lines: string[] = [];
  for (const m of COVERAGE_METRICS) {
    const f = report[m];
    const verdict = f.percent === null || f.percent >= min[m] ? 'ok' : 'BELOW';
    lines.push(
      `${m.padEnd(12)} ${percentText(f)}  (${f.numerator}/${f.denominator}, min ${min[m]}%)  ${verdict}`,
    );
    const details = f as Partial<DeclarationCoverage>;
    if (m === 'declarations' && details.byKind) {
      for (const [kind, k] of Object.entries(details.byKind))
        if (k.denominator > 0)
          lines.push(`  ${kind.padEnd(12)} ${percentText(k)}  (${k.numerator}/${k.denominator})`);
      for (const d of details.missing ?? [])
        lines.push(`  missing: ${d.kind} ${d.name} at ${d.path}:${d.line}`);
    }
  }
  return lines.join('\n');
}
