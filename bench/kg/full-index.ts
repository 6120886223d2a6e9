// A full `cogo index` (graph and search: chunks, keyword postings, local embeddings) of the same
// sources by two cogo checkouts, side by side in one run, alternating: the whole process's wall
// time, the embedded database's size on disk, and what it wrote.
//
//   node bench/kg/full-index.ts --before <cogo checkout> --after <cogo checkout> [--runs 2] [--targets rxjs,zod]
//     [--out bench/kg/results-full-index.json]
//
// The targets are the copies `npm run bench:kg` prepares under bench/.work/<key> (sources and
// tsconfig).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadavg, REPO } from '../common.ts';

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    after: { type: 'string' },
    runs: { type: 'string', default: '2' },
    targets: { type: 'string', default: 'rxjs,zod,rtk,effect' },
    out: { type: 'string', default: 'bench/kg/results-full-index.json' },
  },
});
if (!values.before || !values.after) throw new Error('usage: --before <checkout> --after <checkout>');
const checkouts = { before: resolve(values.before), after: resolve(values.after) } as const;
const runs = Number(values.runs);
const targets = values.targets.split(',');

function sizeOf(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? sizeOf(path) : statSync(path).size;
  }
  return total;
}

interface Run {
  readonly wallMs: number;
  readonly dbBytes: number;
  readonly graphMs: number;
  readonly searchMs: number;
  readonly objects: number;
  readonly relations: number;
  readonly chunks: number;
}

function indexOnce(checkout: string, source: string): Run {
  const repo = mkdtempSync(join(tmpdir(), 'cogo-full-index-'));
  // The copy keeps bench:kg's absolute node_modules link (type-only dependencies), not an index.
  cpSync(source, repo, { recursive: true, filter: (p) => !p.includes('/.cogo') });
  try {
    const t0 = performance.now();
    const out = spawnSync(
      join(REPO, 'node_modules/.bin/node'),
      [join(checkout, 'bin/cogo.js'), '--repo', repo, 'index', '--full', '--json'],
      { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, LOG_LEVEL: 'warn' } },
    );
    const wallMs = performance.now() - t0;
    if (out.status !== 0) throw new Error(`cogo index failed in ${checkout}: ${out.stderr.slice(0, 2000)}`);
    const report = JSON.parse(out.stdout) as {
      graph: { durationMs: number; objects: Record<string, number>; relations: Record<string, number> };
      search: { durationMs: number; chunks: { total: number } };
    };
    const sum = (r: Record<string, number>) => Object.values(r).reduce((n, x) => n + x, 0);
    return {
      wallMs,
      dbBytes: sizeOf(join(repo, '.cogo', 'db')),
      graphMs: report.graph.durationMs,
      searchMs: report.search.durationMs,
      objects: sum(report.graph.objects),
      relations: sum(report.graph.relations),
      chunks: report.search.chunks.total,
    };
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const results: Record<string, Record<'before' | 'after', Run[]>> = {};
const loadBefore = loadavg();
const t0 = performance.now();
for (const key of targets) {
  const source = join(REPO, 'bench/.work', key);
  results[key] = { before: [], after: [] };
  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so a trend in the machine's load falls on both.
    const order = i % 2 === 0 ? (['before', 'after'] as const) : (['after', 'before'] as const);
    for (const version of order) {
      const run = indexOnce(checkouts[version], source);
      results[key]![version].push(run);
      process.stderr.write(`${key} ${version} #${i + 1}: ${(run.wallMs / 1000).toFixed(1)} s\n`);
    }
  }
}

const rows: string[] = [
  '| target | wall before | wall after | ratio | graph before / after | search before / after | DB size before / after | objects | relations | chunks |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
];
const summary: Record<string, unknown> = {};
for (const [key, r] of Object.entries(results)) {
  const m = (v: 'before' | 'after', f: keyof Run) => median(r[v].map((x) => x[f]));
  const ratio = m('after', 'wallMs') / m('before', 'wallMs');
  summary[key] = {
    wallMs: { before: m('before', 'wallMs'), after: m('after', 'wallMs'), ratio },
    graphMs: { before: m('before', 'graphMs'), after: m('after', 'graphMs') },
    searchMs: { before: m('before', 'searchMs'), after: m('after', 'searchMs') },
    dbBytes: { before: m('before', 'dbBytes'), after: m('after', 'dbBytes') },
    objects: { before: m('before', 'objects'), after: m('after', 'objects') },
    relations: { before: m('before', 'relations'), after: m('after', 'relations') },
    chunks: { before: m('before', 'chunks'), after: m('after', 'chunks') },
  };
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;
  rows.push(
    `| ${key} | ${s(m('before', 'wallMs'))} | ${s(m('after', 'wallMs'))} | ${ratio.toFixed(2)} | ${s(m('before', 'graphMs'))} / ${s(m('after', 'graphMs'))} | ${s(m('before', 'searchMs'))} / ${s(m('after', 'searchMs'))} | ${mb(m('before', 'dbBytes'))} / ${mb(m('after', 'dbBytes'))} | ${m('before', 'objects')} / ${m('after', 'objects')} | ${m('before', 'relations')} / ${m('after', 'relations')} | ${m('before', 'chunks')} / ${m('after', 'chunks')} |`,
  );
}
const table = rows.join('\n');
process.stdout.write(`${table}\n`);
writeFileSync(
  resolve(REPO, values.out),
  `${JSON.stringify(
    {
      checkouts,
      runs,
      loadavg: { before: loadBefore, after: loadavg() },
      durationS: Math.round((performance.now() - t0) / 1000),
      summary,
      results,
      table,
    },
    null,
    2,
  )}\n`,
);
