import type { Db } from '../db/index.ts';

export const COVERAGE_METRICS = ['params', 'returns', 'fields', 'lines'] as const;
export type CoverageMetric = (typeof COVERAGE_METRICS)[number];

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

const QUERIES: Record<CoverageMetric, string> = {
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

/** Computes the four KG coverage figures over the stored graph. */
export async function computeCoverage(db: Db): Promise<CoverageReport> {
  const out: Partial<Record<CoverageMetric, CoverageFigure>> = {};
  for (const metric of COVERAGE_METRICS) {
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

export function formatCoverage(report: CoverageReport, min: CoverageThresholds): string {
  return COVERAGE_METRICS.map((m) => {
    const f = report[m];
    const pct = f.percent === null ? '   n/a' : `${f.percent.toFixed(2).padStart(6)}%`;
    const verdict = f.percent === null || f.percent >= min[m] ? 'ok' : 'BELOW';
    return `${m.padEnd(8)} ${pct}  (${f.numerator}/${f.denominator}, min ${min[m]}%)  ${verdict}`;
  }).join('\n');
}
