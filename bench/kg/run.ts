/**
 * Knowledge-graph benchmark (issue 2): cogo against @sourcegraph/scip-typescript.
 *
 *   npm run bench:kg          (installs bench/kg's own dependencies, then runs this file)
 *   node bench/kg/run.ts      (when bench/kg/node_modules is already installed)
 *
 * Targets: the TypeScript sources of rxjs (as shipped on npm) and this repository's in-scope files,
 * each copied under bench/.work/ so both tools see exactly the same files and tsconfig.json.
 * Measures definition recall, line-span agreement, call edges, speed and peak RSS (median of
 * BENCH_RUNS runs, default 3; cogo into PGlite, and into a fresh database on the Postgres server at
 * BENCH_PG_URL when reachable), re-index time after one-file edits (PGlite and the server), and cogo's
 * coverage figures. Writes bench/kg/results.json and
 * prints the markdown tables that go into BENCHMARKS.md.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import ts from 'typescript';
import { EXTRACTOR_VERSION } from '../../src/kg/index.ts';
import { scanRepository } from '../../src/kg/scan.ts';
import { loadScope, scopeMatcher } from '../../src/kg/scope.ts';
import { loadavg, RXJS_TSCONFIG, revision, versionOf } from '../common.ts';
import { type CogoRelation, type Comparison, compare, readCogoExport } from './compare.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');
const WORK = join(REPO, 'bench', '.work');
const NODE = process.execPath;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const TIME_BIN = '/usr/bin/time';
const requireHere = createRequire(join(HERE, 'package.json'));
const SCIP_DIR = dirname(requireHere.resolve('@sourcegraph/scip-typescript/package.json'));
const SCIP_MAIN = join(SCIP_DIR, 'dist', 'src', 'main.js');
const RXJS_DIR = dirname(requireHere.resolve('rxjs/package.json'));

interface Edit {
  readonly name: string;
  readonly path: string;
  readonly offset: number;
  readonly insert: string;
}

interface Target {
  readonly key: string;
  readonly label: string;
  readonly root: string;
  readonly files: number;
  readonly lines: number;
}

function log(message: string): void {
  process.stderr.write(`[bench:kg] ${message}\n`);
}

function listFiles(dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const abs = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(abs, keep));
    else if (entry.isFile() && keep(entry.name)) out.push(abs);
  }
  return out;
}

function copyInto(
  root: string,
  files: ReadonlyArray<{ from: string; to: string }>,
): { files: number; lines: number } {
  let lines = 0;
  for (const f of files) {
    const dest = join(root, f.to);
    mkdirSync(dirname(dest), { recursive: true });
    copyFileSync(f.from, dest);
    if (/\.[mc]?tsx?$/.test(f.to)) lines += readFileSync(f.from, 'utf8').split('\n').length;
  }
  return { files: files.filter((f) => /\.[mc]?tsx?$/.test(f.to)).length, lines };
}

/** rxjs's shipped `src/**\/*.ts`, with one tsconfig.json both tools read. */
function prepareRxjs(): Target {
  const version = versionOf(join(RXJS_DIR, 'package.json'));
  const root = join(WORK, 'rxjs');
  rmSync(root, { recursive: true, force: true });
  const src = join(RXJS_DIR, 'src');
  const sources = listFiles(src, (n) => n.endsWith('.ts')).map((from) => ({
    from,
    to: join('src', relative(src, from)),
  }));
  const counted = copyInto(root, sources);
  writeFileSync(join(root, 'tsconfig.json'), `${JSON.stringify(RXJS_TSCONFIG, null, 2)}\n`);
  // scip-typescript names symbols after the nearest package.json.
  writeFileSync(join(root, 'package.json'), `${JSON.stringify({ name: 'rxjs', version, private: true })}\n`);
  return { key: 'rxjs', label: `rxjs@${version}`, root, ...counted };
}

/** This repository's files in cogo's default scope (bench/.work excluded) and its tsconfig.json. */
function prepareSelf(): Target {
  const root = join(WORK, 'self');
  rmSync(root, { recursive: true, force: true });
  const scan = scanRepository(REPO, scopeMatcher(loadScope(REPO)), { maxFileBytes: 1_000_000 });
  const inWork = (p: string) => p.startsWith('bench/.work/');
  const files = scan.files.filter((f) => !inWork(f.path)).map((f) => ({ from: f.absPath, to: f.path }));
  const configs = scan.tsconfigs.filter((p) => !inWork(p)).map((p) => ({ from: join(REPO, p), to: p }));
  const counted = copyInto(root, [...files, ...configs]);
  const version = versionOf(join(REPO, 'package.json'));
  writeFileSync(join(root, 'package.json'), `${JSON.stringify({ name: 'cogo', version, private: true })}\n`);
  return { key: 'self', label: 'cogo (this repo)', root, ...counted };
}

interface Measured {
  readonly wallMs: number;
  readonly maxRssMb: number | null;
}

/** Runs a command as a child process; wall time measured here, peak RSS by /usr/bin/time. */
function measure(args: string[], cwd: string): Measured {
  const rssFile = join(WORK, `rss-${process.pid}.txt`);
  const haveTime = existsSync(TIME_BIN);
  const cmd = haveTime ? TIME_BIN : args[0]!;
  const argv = haveTime ? ['-f', '%M', '-o', rssFile, ...args] : args.slice(1);
  const t = performance.now();
  // Both tools run with Node's on-disk compile cache (cogo's CLI turns it on itself), so neither pays
  // for compiling typescript.js on every start.
  const env = { ...process.env, NODE_COMPILE_CACHE: join(WORK, 'node-compile-cache') };
  const r = spawnSync(cmd, argv, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const wallMs = performance.now() - t;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  let maxRssMb: number | null = null;
  if (haveTime) {
    const kb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1));
    maxRssMb = Math.round(kb / 1024);
    rmSync(rssFile, { force: true });
  }
  return { wallMs: Math.round(wallMs), maxRssMb };
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : Math.round((s[mid - 1]! + s[mid]!) / 2);
}

interface CogoRun {
  readonly backend: 'pglite' | 'postgres';
  readonly openMs: number;
  readonly migrateMs: number;
  readonly indexMs: number;
  readonly untilIndexedMs: number;
  readonly report: { readonly timingsMs: { scan: number; extract: number; write: number } } & Record<
    string,
    unknown
  >;
  readonly coverage: Record<
    string,
    { numerator: number; denominator: number; percent: number | null }
  > | null;
}

function runScip(target: Target, output: string): Measured {
  return measure(
    [NODE, SCIP_MAIN, 'index', '--cwd', target.root, '--output', output, '--no-progress-bar'],
    target.root,
  );
}

/** One cogo-index.ts process: PGlite in a fresh data dir, or the server database at `databaseUrl`. */
function runCogo(
  target: Target,
  resultFile: string,
  extra: string[] = [],
  databaseUrl?: string,
): Measured & { run: CogoRun } {
  const backend = databaseUrl
    ? ['--database-url', databaseUrl]
    : ['--data-dir', join(WORK, `pglite-${target.key}`)];
  const m = measure([NODE, join(HERE, 'cogo-index.ts'), target.root, resultFile, ...backend, ...extra], REPO);
  return { ...m, run: JSON.parse(readFileSync(resultFile, 'utf8')) as CogoRun };
}

interface CogoTimes {
  readonly wallMs: number[];
  readonly maxRssMb: Array<number | null>;
  /** PGlite: create + migrate; server: connect + migrate (a fresh database each run). */
  readonly openAndMigrateMs: number[];
  readonly indexRepositoryMs: number[];
  /** indexRepository's own split: scan, TypeScript extraction (program + checker), DB writes. */
  readonly scanMs: number[];
  readonly extractMs: number[];
  readonly writeMs: number[];
}

interface CogoMedians {
  readonly wallMs: number;
  readonly maxRssMb: number | null;
  readonly openAndMigrateMs: number;
  readonly indexRepositoryMs: number;
  readonly scanMs: number;
  readonly extractMs: number;
  readonly writeMs: number;
}

interface Speed {
  readonly runs: number;
  /** A process that only opens and migrates PGlite: the database's share of cogo's time and RSS. */
  readonly pgliteOnly: { readonly wallMs: number[]; readonly maxRssMb: Array<number | null> };
  readonly scip: { readonly wallMs: number[]; readonly maxRssMb: Array<number | null> };
  readonly cogo: CogoTimes;
  /** cogo into a fresh database on the Postgres server, or why that part was skipped. */
  readonly cogoServer: CogoTimes | { readonly skipped: string };
  readonly median: {
    readonly scipWallMs: number;
    readonly scipMaxRssMb: number | null;
    readonly cogo: CogoMedians;
    readonly cogoServer: CogoMedians | null;
    readonly pgliteOnlyWallMs: number;
    readonly pgliteOnlyMaxRssMb: number | null;
  };
  readonly ratio: {
    readonly wholeProcess: number;
    readonly wholeProcessServer: number | null;
    readonly indexRepositoryOnly: number;
    readonly rss: number | null;
    readonly rssServer: number | null;
  };
}

const emptyTimes = (): CogoTimes => ({
  wallMs: [],
  maxRssMb: [],
  openAndMigrateMs: [],
  indexRepositoryMs: [],
  scanMs: [],
  extractMs: [],
  writeMs: [],
});

function record(times: CogoTimes, c: Measured & { run: CogoRun }): void {
  times.wallMs.push(c.wallMs);
  times.maxRssMb.push(c.maxRssMb);
  times.openAndMigrateMs.push(Math.round(c.run.openMs + c.run.migrateMs));
  times.indexRepositoryMs.push(Math.round(c.run.indexMs));
  times.scanMs.push(c.run.report.timingsMs.scan);
  times.extractMs.push(c.run.report.timingsMs.extract);
  times.writeMs.push(c.run.report.timingsMs.write);
}

const medOrNull = (xs: Array<number | null>) =>
  xs.length > 0 && xs.every((x) => x !== null) ? median(xs as number[]) : null;

function medians(t: CogoTimes): CogoMedians {
  return {
    wallMs: median(t.wallMs),
    maxRssMb: medOrNull(t.maxRssMb),
    openAndMigrateMs: median(t.openAndMigrateMs),
    indexRepositoryMs: median(t.indexRepositoryMs),
    scanMs: median(t.scanMs),
    extractMs: median(t.extractMs),
    writeMs: median(t.writeMs),
  };
}

/** An admin connection to the Postgres server at BENCH_PG_URL, or why there is none. */
async function connectAdmin(): Promise<pg.Client | { skipped: string }> {
  const admin = new pg.Client({ connectionString: `${PG_URL}/postgres`, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
    return admin;
  } catch (error) {
    await admin.end().catch(() => undefined);
    return { skipped: `Postgres at ${PG_URL} not reachable: ${(error as Error).message}` };
  }
}

/** Runs `fn` against a freshly created database on the server, dropped afterwards. */
async function withFreshDatabase<T>(admin: pg.Client, fn: (url: string) => T): Promise<T> {
  const name = `cogo_bench_${randomBytes(6).toString('hex')}`;
  await admin.query(`create database ${name}`);
  try {
    return fn(`${PG_URL}/${name}`);
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
  }
}

async function speed(target: Target, admin: pg.Client | { skipped: string }): Promise<Speed> {
  const scip = { wallMs: [] as number[], maxRssMb: [] as Array<number | null> };
  const cogo = emptyTimes();
  const server = 'skipped' in admin ? undefined : emptyTimes();
  const pgliteOnly = { wallMs: [] as number[], maxRssMb: [] as Array<number | null> };
  for (let i = 0; i < RUNS; i++) {
    const p = runCogo(target, join(WORK, `${target.key}-pglite-only.json`), ['--open-only']);
    pgliteOnly.wallMs.push(p.wallMs);
    pgliteOnly.maxRssMb.push(p.maxRssMb);
    // Alternate the tools so neither always runs on a warmer cache.
    const s = runScip(target, join(WORK, `${target.key}.scip`));
    scip.wallMs.push(s.wallMs);
    scip.maxRssMb.push(s.maxRssMb);
    const c = runCogo(target, join(WORK, `${target.key}-cogo-run.json`));
    record(cogo, c);
    let serverNote = '';
    if (server && !('skipped' in admin)) {
      // A fresh database per run: the run pays for the migration, as the PGlite run does.
      const v = await withFreshDatabase(admin, (url) =>
        runCogo(target, join(WORK, `${target.key}-cogo-server-run.json`), [], url),
      );
      record(server, v);
      serverNote = `, cogo on the server ${v.wallMs} ms (indexRepository ${Math.round(v.run.indexMs)} ms)`;
    }
    log(
      `${target.key} run ${i + 1}/${RUNS}: scip ${s.wallMs} ms, cogo ${c.wallMs} ms (indexRepository ${Math.round(c.run.indexMs)} ms)${serverNote}`,
    );
  }
  const m = {
    scipWallMs: median(scip.wallMs),
    scipMaxRssMb: medOrNull(scip.maxRssMb),
    cogo: medians(cogo),
    cogoServer: server ? medians(server) : null,
    pgliteOnlyWallMs: median(pgliteOnly.wallMs),
    pgliteOnlyMaxRssMb: medOrNull(pgliteOnly.maxRssMb),
  };
  const r2 = (x: number) => Math.round(x * 100) / 100;
  const rssRatio = (rss: number | null | undefined) =>
    rss != null && m.scipMaxRssMb !== null ? r2(rss / m.scipMaxRssMb) : null;
  return {
    runs: RUNS,
    pgliteOnly,
    scip,
    cogo,
    cogoServer: server ?? (admin as { skipped: string }),
    median: m,
    ratio: {
      wholeProcess: r2(m.cogo.wallMs / m.scipWallMs),
      wholeProcessServer: m.cogoServer ? r2(m.cogoServer.wallMs / m.scipWallMs) : null,
      indexRepositoryOnly: r2(m.cogo.indexRepositoryMs / m.scipWallMs),
      rss: rssRatio(m.cogo.maxRssMb),
      rssServer: rssRatio(m.cogoServer?.maxRssMb),
    },
  };
}

/** Inserts a statement at the start of the first function or method body of a file (same line count). */
function bodyEdit(root: string, path: string, name: string): Edit {
  const sf = ts.createSourceFile(path, readFileSync(join(root, path), 'utf8'), ts.ScriptTarget.Latest, true);
  let body: ts.Block | undefined;
  const visit = (node: ts.Node): void => {
    if (body) return;
    if (ts.isFunctionLike(node) && 'body' in node && node.body && ts.isBlock(node.body as ts.Node)) {
      body = node.body as ts.Block;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  if (!body) throw new Error(`${path} has no function body to edit`);
  return { name, path, offset: body.getStart(sf) + 1, insert: ' void 0;' };
}

function hasFunctionBody(root: string, path: string): boolean {
  try {
    bodyEdit(root, path, '');
    return true;
  } catch {
    return false;
  }
}

/** The in-repo module most files import directly (that has a function body to edit). */
function mostImported(root: string, exportDir: string): { path: string; importers: number } {
  const { objects, relations } = readCogoExport(exportDir);
  const pathOf = new Map(
    objects.filter((o) => o.kind === 'module' && o.file_path).map((o) => [o.id, o.file_path!]),
  );
  const importers = new Map<string, Set<string>>();
  for (const r of relations as CogoRelation[]) {
    if (r.kind !== 'imports') continue;
    const dst = pathOf.get(r.dst_id);
    const src = pathOf.get(r.src_id);
    if (!dst || !src) continue;
    const set = importers.get(dst) ?? new Set<string>();
    set.add(src);
    importers.set(dst, set);
  }
  const ranked = [...importers]
    .map(([path, set]) => ({ path, importers: set.size }))
    .sort((a, b) => b.importers - a.importers || (a.path < b.path ? -1 : 1));
  const pick = ranked.find((r) => hasFunctionBody(root, r.path));
  if (!pick) throw new Error('no imported file with a function body');
  return pick;
}

interface IncrementalRun {
  readonly label: string;
  readonly wallMs: number;
  readonly mode: string;
  readonly durationMs: number;
  readonly timingsMs: Record<string, number>;
  readonly extracted: number;
  readonly unchanged: number;
}

function runIncremental(target: Target, edits: readonly Edit[], databaseUrl?: string): IncrementalRun[] {
  const editsFile = join(WORK, `${target.key}-edits.json`);
  const resultFile = join(WORK, `${target.key}-incremental.json`);
  writeFileSync(editsFile, JSON.stringify(edits));
  const backend = databaseUrl
    ? ['--database-url', databaseUrl]
    : ['--data-dir', join(WORK, `pglite-${target.key}-incremental`)];
  const r = spawnSync(
    NODE,
    [join(HERE, 'cogo-incremental.ts'), target.root, resultFile, editsFile, ...backend],
    {
      cwd: REPO,
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`cogo-incremental failed: ${r.stderr}`);
  return (JSON.parse(readFileSync(resultFile, 'utf8')) as { runs: IncrementalRun[] }).runs;
}

// ---------------------------------------------------------------------------------------------

const fmt = (x: number | null | undefined, digits = 4): string =>
  x === null || x === undefined ? 'n/a' : x.toFixed(digits);
const frac = (n: number, d: number): string => `${d === 0 ? 'n/a' : (n / d).toFixed(4)} (${n}/${d})`;
const sec = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

function accuracyTable(targets: readonly Target[], cmp: Record<string, Comparison>): string {
  const rows: string[][] = [];
  const add = (label: string, f: (c: Comparison) => string, target = '') =>
    rows.push([label, ...targets.map((t) => f(cmp[t.key]!)), target]);
  add(
    'Definition recall (file + name + line in cogo span)',
    (c) => frac(c.definitions.found, c.definitions.total),
    '>= 0.99',
  );
  for (const kind of Object.keys(cmp[targets[0]!.key]!.definitions.byKind)) {
    add(`&nbsp;&nbsp;${kind}`, (c) => {
      const k = c.definitions.byKind[kind]!;
      return k.total === 0 ? '-' : frac(k.found, k.total);
    });
  }
  add('Const-bound functions (SCIP terms; not in recall)', (c) => {
    const k = c.definitions.constBound['const function']!;
    return `${k.found}/${k.total} found`;
  });
  add('SCIP definition line inside cogo span (name-matched)', (c) =>
    frac(c.definitions.span.lineInsideSpan, c.definitions.span.nameMatched),
  );
  add('cogo start/end line = SCIP enclosing_range', (c) =>
    frac(c.definitions.span.bothEqual, c.definitions.span.withEnclosingRange),
  );
  add('cogo objects with no SCIP definition', (c) => String(c.definitions.cogoOnly.count));
  add(
    'Call precision (`new Foo()` -> its constructor when declared, else the class; as SCIP)',
    (c) => frac(c.calls.raw.confirmed, c.calls.cogoEdges),
    '>= 0.98',
  );
  add('&nbsp;&nbsp;excluding `super(...)` edges SCIP cannot see', (c) =>
    frac(c.calls.raw.confirmed, c.calls.cogoEdges - c.calls.superEdges),
  );
  add('Call recall', (c) => frac(c.calls.raw.recalled, c.calls.raw.scipEdgesCalleeInCogo), '>= 0.90');
  return table(['Accuracy (SCIP = reference)', ...targets.map((t) => t.label), 'target'], rows);
}

function speedTable(targets: readonly Target[], sp: Record<string, Speed>): string {
  const rows: string[][] = [];
  const add = (label: string, f: (s: Speed) => string, target = '') =>
    rows.push([label, ...targets.map((t) => f(sp[t.key]!)), target]);
  add('scip-typescript index, wall', (s) => sec(s.median.scipWallMs));
  add('scip-typescript peak RSS', (s) => `${s.median.scipMaxRssMb ?? 'n/a'} MB`);
  const split = (c: CogoMedians) => `${c.scanMs} / ${c.extractMs} / ${c.writeMs} ms`;
  add('cogo whole process, wall (PGlite open + migrate + indexRepository)', (s) => sec(s.median.cogo.wallMs));
  add('&nbsp;&nbsp;PGlite open + migrate', (s) => sec(s.median.cogo.openAndMigrateMs));
  add('&nbsp;&nbsp;indexRepository only', (s) => sec(s.median.cogo.indexRepositoryMs));
  add('&nbsp;&nbsp;&nbsp;&nbsp;of which scan / extract (TypeScript) / DB writes', (s) =>
    split(s.median.cogo),
  );
  add('cogo peak RSS', (s) => `${s.median.cogo.maxRssMb ?? 'n/a'} MB`);
  add(
    '&nbsp;&nbsp;baseline: a process that only opens + migrates PGlite',
    (s) => `${sec(s.median.pgliteOnlyWallMs)}, ${s.median.pgliteOnlyMaxRssMb ?? 'n/a'} MB`,
  );
  // The server rows: skipped (with the reason) when the server could not be reached.
  const server = (f: (c: CogoMedians) => string) => (s: Speed) =>
    s.median.cogoServer ? f(s.median.cogoServer) : 'skipped' in s.cogoServer ? 'skipped' : 'n/a';
  add(
    'cogo whole process, Postgres server (connect + migrate a fresh database + indexRepository)',
    server((c) => sec(c.wallMs)),
  );
  add(
    '&nbsp;&nbsp;connect + migrate',
    server((c) => sec(c.openAndMigrateMs)),
  );
  add(
    '&nbsp;&nbsp;indexRepository only',
    server((c) => sec(c.indexRepositoryMs)),
  );
  add('&nbsp;&nbsp;&nbsp;&nbsp;of which scan / extract (TypeScript) / DB writes', server(split));
  add(
    'cogo peak RSS, Postgres server (client process only)',
    server((c) => `${c.maxRssMb ?? 'n/a'} MB`),
  );
  add('Ratio cogo/scip, whole process', (s) => s.ratio.wholeProcess.toFixed(2), '<= 0.5');
  add('Ratio cogo/scip, whole process, server', (s) => fmt(s.ratio.wholeProcessServer, 2), '<= 0.5');
  add(
    'Ratio cogo/scip, indexRepository only (PGlite)',
    (s) => s.ratio.indexRepositoryOnly.toFixed(2),
    '<= 0.5',
  );
  add('Ratio cogo/scip, peak RSS', (s) => fmt(s.ratio.rss, 2));
  add('Ratio cogo/scip, peak RSS, server', (s) => fmt(s.ratio.rssServer, 2));
  const skipped = targets
    .map((t) => sp[t.key]!.cogoServer)
    .find((c): c is { skipped: string } => 'skipped' in c);
  const out = table(
    [`Speed (median of ${RUNS} runs, separate processes)`, ...targets.map((t) => t.label), 'target'],
    rows,
  );
  return skipped ? `${out}\n\nServer rows skipped: ${skipped.skipped}.` : out;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadBefore = loadavg();
  mkdirSync(WORK, { recursive: true });
  log('preparing sources under bench/.work/');
  const targets = [prepareRxjs(), prepareSelf()];

  const comparisons: Record<string, Comparison> = {};
  const speeds: Record<string, Speed> = {};
  const admin = await connectAdmin();
  if ('skipped' in admin) log(`server runs skipped: ${admin.skipped}`);
  const coverage: Record<string, CogoRun['coverage']> = {};
  const graphs: Record<string, Record<string, unknown>> = {};
  for (const target of targets) {
    log(`${target.key}: ${target.files} files, ${target.lines} lines`);
    speeds[target.key] = await speed(target, admin);
    const exportDir = join(WORK, `${target.key}-cogo-export`);
    const c = runCogo(target, join(WORK, `${target.key}-cogo-export.json`), ['--export', exportDir]);
    coverage[target.key] = c.run.coverage;
    graphs[target.key] = c.run.report;
    comparisons[target.key] = compare(target.root, join(WORK, `${target.key}.scip`), exportDir);
  }

  // Re-index after one-file edits, on the package.
  const pkg = targets[0]!;
  const leafPath = 'src/internal/operators/map.ts';
  const hub = mostImported(pkg.root, join(WORK, `${pkg.key}-cogo-export`));
  const edits = [
    bodyEdit(pkg.root, leafPath, `function body in ${leafPath}`),
    bodyEdit(
      pkg.root,
      hub.path,
      `function body in ${hub.path} (imported directly by ${hub.importers} files)`,
    ),
  ];
  log('incremental re-index (PGlite)');
  const incremental: Record<string, IncrementalRun[] | { skipped: string }> = {
    pglite: runIncremental(pkg, edits),
  };
  if ('skipped' in admin) incremental.postgres = admin;
  else {
    log('incremental re-index (Postgres server)');
    incremental.postgres = await withFreshDatabase(admin, (url) => runIncremental(pkg, edits, url));
    await admin.end();
  }

  const totalMs = Math.round(performance.now() - started);
  const cpus = os.cpus();
  const machine = {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    typescriptCogo: versionOf(join(REPO, 'node_modules', 'typescript', 'package.json')),
    typescriptScip: ts.version,
    scipTypescript: versionOf(join(SCIP_DIR, 'package.json')),
    cogoExtractorVersion: EXTRACTOR_VERSION,
    cogoRevision: revision(),
    /** 1/5/15-minute load averages before and after the run: other work on the machine skews timings. */
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadavg(),
  };
  const results = {
    command: 'npm run bench:kg',
    machine,
    benchmarkWallMs: totalMs,
    targets: Object.fromEntries(
      targets.map((t) => [
        t.key,
        {
          label: t.label,
          root: relative(REPO, t.root),
          files: t.files,
          lines: t.lines,
          comparison: comparisons[t.key],
          speed: speeds[t.key],
          coverage: coverage[t.key],
          cogoGraph: graphs[t.key],
        },
      ]),
    ),
    incremental: { target: pkg.label, edits: edits.map((e) => e.name), ...incremental },
  };
  const resultsFile = join(HERE, 'results.json');
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  // Keep the committed file in the repository's format (`npm run lint` checks JSON too).
  const biome = join(REPO, 'node_modules', '.bin', 'biome');
  if (existsSync(biome)) spawnSync(biome, ['format', '--write', resultsFile], { stdio: 'ignore' });

  const out: string[] = [];
  out.push(
    `Machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGb} GB RAM, ${machine.os}; Node ${machine.node}; ` +
      `TypeScript ${machine.typescriptCogo} (cogo) / ${machine.typescriptScip} (scip); scip-typescript ${machine.scipTypescript}; ` +
      `cogo ${machine.cogoRevision}, extractor v${machine.cogoExtractorVersion}. Benchmark wall time ${sec(totalMs)}; ` +
      `load average ${machine.loadAverageBefore.join(' / ')} before, ${machine.loadAverageAfter.join(' / ')} after.`,
  );
  out.push(
    '',
    `Sources: ${targets.map((t) => `${t.label}: ${t.files} files, ${t.lines} lines`).join('; ')}.`,
  );
  out.push('', accuracyTable(targets, comparisons), '', speedTable(targets, speeds), '');
  const incRows: string[][] = [];
  for (const [backend, runs] of Object.entries(incremental)) {
    if ('skipped' in runs) incRows.push([backend, runs.skipped, '', '', '']);
    else for (const r of runs) incRows.push([backend, r.label, r.mode, `${r.extracted}`, sec(r.wallMs)]);
  }
  out.push(
    table(
      [`Re-index on ${pkg.label} (target <= 2 s)`, 'run', 'mode', 'files extracted', 'indexRepository wall'],
      incRows,
    ),
    '',
  );
  const covRows = ['params', 'returns', 'fields', 'lines'].map((m) => [
    m,
    ...targets.map((t) => {
      const f = coverage[t.key]?.[m];
      return f ? `${fmt(f.percent, 2)}% (${f.numerator}/${f.denominator})` : 'n/a';
    }),
  ]);
  out.push(table(['cogo coverage', ...targets.map((t) => t.label)], covRows), '');
  for (const t of targets) {
    const c = comparisons[t.key]!;
    const lists: Array<[string, string[]]> = [
      [
        'Definition misses',
        c.definitions.misses.map((m) => `${m.where} ${m.kind} ${m.qualified}: ${m.reason}`),
      ],
      [
        'Span disagreements with enclosing_range',
        c.definitions.span.disagreements.map(
          (d) => `${d.where} ${d.kind} ${d.qualified}: cogo ${d.cogo}, SCIP ${d.scip}`,
        ),
      ],
      ['cogo objects with no SCIP definition', c.definitions.cogoOnly.examples],
      ['Unconfirmed cogo call edges', c.calls.unconfirmedExamples],
      ['SCIP call edges cogo misses', c.calls.missedExamples],
    ];
    const reasons = (title: string, counts: Record<string, number>) => {
      const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
      if (entries.length > 0)
        out.push(`${title} (${t.label}):`, '', ...entries.map(([r, n]) => `- ${n} × ${r}`), '');
    };
    reasons('Definition misses by reason', c.definitions.missReasons);
    reasons('Unconfirmed cogo call edges by reason', c.calls.unconfirmedReasons);
    reasons('Missed SCIP call edges by reason', c.calls.missedReasons);
    for (const [title, items] of lists) {
      if (items.length === 0) continue;
      out.push(`${title} (${t.label}, ${items.length} listed):`, '', ...items.map((i) => `- ${i}`), '');
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
