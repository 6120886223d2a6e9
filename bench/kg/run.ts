/**
 * Knowledge-graph benchmark (issues 2 and 13): cogo against @sourcegraph/scip-typescript.
 *
 *   npm run bench:kg          (installs bench/kg's own dependencies, then runs this file)
 *   node bench/kg/run.ts      (when bench/kg/node_modules is already installed)
 *
 * Targets (BENCH_TARGETS, comma-separated keys, default all): rxjs's shipped TypeScript sources, this
 * repository's in-scope files (self), effect (a functional library of pipeable, value-bound APIs), zod 4's
 * main entry point (an API built from factory calls) and @reduxjs/toolkit (held out: never looked at while
 * tuning cogo; only its summary figures are printed and kept). Each is copied under bench/.work/ so both
 * tools see exactly the same files and tsconfig.json.
 * Measures definition recall per declaration kind (exported and all module-scope declarations),
 * line-span agreement, call edges (and the calls to value-bound functions), speed and peak RSS (median of
 * BENCH_RUNS runs, default 3; cogo into PGlite, and into a fresh database on the Postgres server at
 * BENCH_PG_URL when reachable), the database's size and the graph's counts after a full index, re-index
 * time after one-file edits (rxjs; PGlite and the server), and cogo's coverage figures. Writes BENCH_OUT
 * (default bench/kg/results.json) and prints the markdown tables that go into BENCHMARKS.md.
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
  symlinkSync,
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
import { type CogoRelation, type Comparison, compare, DEF_KINDS, readCogoExport } from './compare.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');
const WORK = join(REPO, 'bench', '.work');
const NODE = process.execPath;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const OUT = resolve(REPO, process.env.BENCH_OUT ?? join('bench', 'kg', 'results.json'));
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const TIME_BIN = '/usr/bin/time';
const requireHere = createRequire(join(HERE, 'package.json'));
const SCIP_DIR = dirname(requireHere.resolve('@sourcegraph/scip-typescript/package.json'));
const SCIP_MAIN = join(SCIP_DIR, 'dist', 'src', 'main.js');
const RXJS_DIR = dirname(requireHere.resolve('rxjs/package.json'));
const BENCH_MODULES = join(HERE, 'node_modules');

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
  /** Never looked at while tuning cogo: only summary figures are printed and kept. */
  readonly heldOut: boolean;
  /** What the sources are and why they were chosen (for the record). */
  readonly note: string;
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
  return {
    key: 'rxjs',
    label: `rxjs@${version}`,
    root,
    ...counted,
    heldOut: false,
    note: 'src/**/*.ts as shipped; class hierarchies, overloaded functions, interfaces, aliases',
  };
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
  // `type: module` as the repository's own package.json: NodeNext reads the files as ES modules.
  writeFileSync(
    join(root, 'package.json'),
    `${JSON.stringify({ name: 'cogo', version, private: true, type: 'module' })}\n`,
  );
  return {
    key: 'self',
    label: 'cogo (this repo)',
    root,
    ...counted,
    heldOut: false,
    note: "cogo's default scope (src/, scripts/, bench/, vitest.config.ts; tests excluded)",
  };
}

/** A package from bench/kg/node_modules whose npm tarball ships its TypeScript sources. */
interface PackageSpec {
  readonly key: string;
  readonly name: string;
  /** Label suffix: which part of the package, when not all of it. */
  readonly part?: string;
  readonly heldOut?: boolean;
  readonly note: string;
  /** Which shipped files (paths relative to the package) are the sources; cogo's default scope applies too. */
  readonly include: (path: string) => boolean;
  readonly tsconfig: Record<string, unknown>;
  /** Type-only dependencies (fast-check, redux, @types/react…) resolve from bench/kg/node_modules. */
  readonly dependencies?: boolean;
}

/** effect's own compiler settings (strict, exactOptionalPropertyTypes, ES2022 + DOM, NodeNext), `types: []`. */
const EFFECT_TSCONFIG = {
  compilerOptions: {
    strict: true,
    exactOptionalPropertyTypes: true,
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    lib: ['ES2022', 'DOM', 'DOM.Iterable'],
    types: [],
    skipLibCheck: true,
    noEmit: true,
  },
  include: ['src/**/*.ts'],
};

/** zod's .configs/tsconfig.base.json settings that matter to a type-check, `types: []`. */
const ZOD_TSCONFIG = {
  compilerOptions: {
    target: 'es2020',
    lib: ['es6', 'dom', 'esnext'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    exactOptionalPropertyTypes: true,
    noUnusedParameters: true,
    noImplicitReturns: true,
    noImplicitOverride: true,
    noFallthroughCasesInSwitch: true,
    isolatedModules: true,
    skipLibCheck: true,
    types: [],
    noEmit: true,
  },
  include: ['src/**/*.ts'],
};

/** @reduxjs/toolkit's tsconfig.base.json (strict, Node resolution, its `paths`), `types: []`. */
const RTK_TSCONFIG = {
  compilerOptions: {
    target: 'ESNext',
    module: 'ESNext',
    lib: ['DOM', 'ESNext'],
    strict: true,
    noImplicitReturns: true,
    noFallthroughCasesInSwitch: true,
    moduleResolution: 'Node',
    jsx: 'react',
    esModuleInterop: true,
    skipLibCheck: true,
    isolatedModules: true,
    allowSyntheticDefaultImports: true,
    types: [],
    noEmit: true,
    baseUrl: '.',
    paths: {
      '@reduxjs/toolkit': ['src/index.ts'],
      '@reduxjs/toolkit/react': ['src/react/index.ts'],
      '@reduxjs/toolkit/query': ['src/query/index.ts'],
      '@reduxjs/toolkit/query/react': ['src/query/react/index.ts'],
      '@internal/*': ['src/*'],
    },
  },
  include: ['src/**/*.ts', 'src/**/*.tsx'],
};

const PACKAGES: readonly PackageSpec[] = [
  {
    key: 'effect',
    name: 'effect',
    note: 'functional library of pipeable, value-bound APIs (`export const map: {…} = dual(2, …)`); the whole package',
    include: (p) => p.startsWith('src/'),
    tsconfig: EFFECT_TSCONFIG,
    dependencies: true,
  },
  {
    key: 'zod',
    name: 'zod',
    part: 'v4 classic + core + locales',
    note: "API built from factory calls (`export const ZodString: core.$constructor<ZodString> = core.$constructor(…)`): what `import 'zod'` reaches (src/index.ts, v4/classic, v4/core, v4/locales); not v3 (the legacy copy) nor v4/mini (a second facade over core)",
    include: (p) => p === 'src/index.ts' || /^src\/v4\/(classic|core|locales)\//.test(p),
    tsconfig: ZOD_TSCONFIG,
  },
  {
    key: 'rtk',
    name: '@reduxjs/toolkit',
    heldOut: true,
    note: 'held out (factory-built API: createSlice, createApi, createAsyncThunk); the whole src/',
    include: (p) => p.startsWith('src/'),
    tsconfig: RTK_TSCONFIG,
    dependencies: true,
  },
];

function preparePackage(spec: PackageSpec): Target {
  const dir = join(BENCH_MODULES, spec.name);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    version: string;
    type?: string;
  };
  const root = join(WORK, spec.key);
  rmSync(root, { recursive: true, force: true });
  // cogo's default scope on the package's own paths: both tools get the files cogo would index.
  const scope = scopeMatcher(loadScope(dir));
  const sources = listFiles(join(dir, 'src'), (n) => /\.(ts|tsx|mts|cts)$/.test(n))
    .map((from) => ({ from, to: relative(dir, from) }))
    .filter((f) => spec.include(f.to) && scope.file(f.to));
  const counted = copyInto(root, sources);
  writeFileSync(join(root, 'tsconfig.json'), `${JSON.stringify(spec.tsconfig, null, 2)}\n`);
  // scip-typescript names symbols after the nearest package.json; `type` decides NodeNext's module format.
  writeFileSync(
    join(root, 'package.json'),
    `${JSON.stringify({ name: spec.name, version: manifest.version, private: true, ...(manifest.type ? { type: manifest.type } : {}) })}\n`,
  );
  // cogo's scan prunes node_modules; scip-typescript indexes the tsconfig's files only.
  if (spec.dependencies) symlinkSync(BENCH_MODULES, join(root, 'node_modules'), 'dir');
  const label = `${spec.name}@${manifest.version}${spec.part ? ` (${spec.part})` : ''}${spec.heldOut ? ' [held out]' : ''}`;
  return { key: spec.key, label, root, ...counted, heldOut: spec.heldOut ?? false, note: spec.note };
}

const TARGETS: ReadonlyArray<{ key: string; prepare: () => Target }> = [
  { key: 'rxjs', prepare: prepareRxjs },
  { key: 'self', prepare: prepareSelf },
  ...PACKAGES.map((spec) => ({ key: spec.key, prepare: () => preparePackage(spec) })),
];

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
  readonly dbSize: {
    readonly pgDatabaseSizeBytes: number;
    readonly dataDirBytes: number | null;
    readonly afterIndexMs: number;
  };
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
  /** The database after the full index: pg_database_size, and the PGlite data directory on disk. */
  readonly pgDatabaseSizeBytes: number[];
  readonly dataDirBytes: Array<number | null>;
}

interface CogoMedians {
  readonly wallMs: number;
  readonly maxRssMb: number | null;
  readonly openAndMigrateMs: number;
  readonly indexRepositoryMs: number;
  readonly scanMs: number;
  readonly extractMs: number;
  readonly writeMs: number;
  readonly pgDatabaseSizeBytes: number;
  readonly dataDirBytes: number | null;
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
  pgDatabaseSizeBytes: [],
  dataDirBytes: [],
});

function record(times: CogoTimes, c: Measured & { run: CogoRun }): void {
  times.wallMs.push(c.wallMs);
  times.maxRssMb.push(c.maxRssMb);
  times.openAndMigrateMs.push(Math.round(c.run.openMs + c.run.migrateMs));
  times.indexRepositoryMs.push(Math.round(c.run.indexMs));
  times.scanMs.push(c.run.report.timingsMs.scan);
  times.extractMs.push(c.run.report.timingsMs.extract);
  times.writeMs.push(c.run.report.timingsMs.write);
  times.pgDatabaseSizeBytes.push(c.run.dbSize.pgDatabaseSizeBytes);
  times.dataDirBytes.push(c.run.dbSize.dataDirBytes);
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
    pgDatabaseSizeBytes: median(t.pgDatabaseSizeBytes),
    dataDirBytes: medOrNull(t.dataDirBytes),
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

const KIND_LABEL: Record<string, string> = {
  function: 'function',
  'callable const': 'callable const/let/var (function values: `const f = dual(…)`, `= () => …`)',
  'other const': 'other const/let/var (non-callable values, destructured)',
  class: 'class',
  interface: 'interface',
  'type alias': 'type alias',
  enum: 'enum',
  'enum member': 'enum member',
  namespace: 'namespace (`namespace X {}`, `export * as X from`)',
  method: 'method (class)',
  'method signature': 'method signature',
  constructor: 'constructor',
  accessor: 'accessor',
  'object-literal method': 'object-literal method (`export const o = { m() {} }`)',
  'arrow property': 'arrow-function class property (`p = () => …`)',
  'default export': '`export default <expression>`',
};

/** Definition recall per kind, for exported declarations or all module-scope ones. */
function definitionTable(
  targets: readonly Target[],
  cmp: Record<string, Comparison>,
  which: 'exported' | 'all',
): string {
  const rows: string[][] = [];
  const add = (label: string, f: (c: Comparison) => string, target = '') =>
    rows.push([label, ...targets.map((t) => f(cmp[t.key]!)), target]);
  const cell = (x: { total: number; found: number }) => (x.total === 0 ? '-' : frac(x.found, x.total));
  add(
    which === 'exported'
      ? 'Definition recall, exported declarations (file + name + kind + line in cogo span)'
      : 'Definition recall, all module-scope declarations (exported or not)',
    (c) => cell(c.definitions[which]),
    '>= 0.99',
  );
  for (const kind of DEF_KINDS) {
    add(
      `&nbsp;&nbsp;${KIND_LABEL[kind] ?? kind}`,
      (c) => cell(c.definitions.byKind[kind]![which]),
      '>= 0.99',
    );
    if (kind === 'callable const')
      for (const form of Object.keys(cmp[targets[0]!.key]!.definitions.callableConstByInit))
        add(`&nbsp;&nbsp;&nbsp;&nbsp;initializer: ${form}`, (c) =>
          cell(c.definitions.callableConstByInit[form]![which]),
        );
  }
  if (which === 'all') {
    add('Issue 2 kinds as issue 2 counted them (all)', (c) =>
      frac(c.definitions.legacy.found, c.definitions.legacy.total),
    );
    add('&nbsp;&nbsp;issue 2 const-bound functions (SCIP terms `const f = () => …`)', (c) => {
      const k = c.definitions.legacy.constBound['const function']!;
      return `${k.found}/${k.total} found`;
    });
    add(
      'Definitions SCIP has no occurrence for (from the parse)',
      (c) =>
        Object.entries(c.definitions.parseOnly)
          .map(([k, n]) => `${n} ${k}`)
          .join(', ') || '0',
    );
    add('SCIP definition line inside cogo span (name-matched)', (c) =>
      frac(c.definitions.span.lineInsideSpan, c.definitions.span.nameMatched),
    );
    add('cogo start/end line = SCIP enclosing_range (every kind but callable consts)', (c) =>
      frac(c.definitions.span.bothEqual, c.definitions.span.withEnclosingRange),
    );
    add('callable consts: cogo span contains SCIP enclosing_range (the function expression)', (c) =>
      frac(c.definitions.span.callableConstContained, c.definitions.span.callableConstWithEnclosingRange),
    );
    add('cogo objects with no SCIP definition', (c) => String(c.definitions.cogoOnly.count));
  }
  const title = which === 'exported' ? 'Definitions: exported' : 'Definitions: all module scope';
  return table([title, ...targets.map((t) => t.label), 'target'], rows);
}

function callTable(targets: readonly Target[], cmp: Record<string, Comparison>): string {
  const rows: string[][] = [];
  const add = (label: string, f: (c: Comparison) => string, target = '') =>
    rows.push([label, ...targets.map((t) => f(cmp[t.key]!)), target]);
  add(
    'Call precision (every kind as caller and callee; `new Foo()` -> its constructor when declared, else the class)',
    (c) => frac(c.calls.raw.confirmed, c.calls.raw.cogoEdges),
    '>= 0.98',
  );
  add(
    '&nbsp;&nbsp;excluding edges SCIP cannot see (`super(...)`, files outside its tsconfig, dangling local at the callee, caller with no SCIP symbol)',
    (c) =>
      frac(
        c.calls.raw.confirmed,
        c.calls.raw.cogoEdges -
          c.calls.superEdges -
          c.calls.outsideScipEdges -
          c.calls.danglingEdges -
          c.calls.noCallerSymbolEdges,
      ),
  );
  add(
    '&nbsp;&nbsp;of which `super(...)` / outside tsconfig / dangling local (call sites with a dangling local) / caller with no SCIP symbol',
    (c) =>
      `${c.calls.superEdges} / ${c.calls.outsideScipEdges} / ${c.calls.danglingEdges} (${c.calls.danglingSites} sites) / ${c.calls.noCallerSymbolEdges}`,
  );
  add(
    'Call recall (every SCIP edge between repo definitions)',
    (c) => frac(c.calls.raw.recalled, c.calls.raw.scipEdges),
    '>= 0.90',
  );
  add('&nbsp;&nbsp;over SCIP edges whose callee is a cogo object (issue 2 denominator)', (c) =>
    frac(c.calls.raw.recalled, c.calls.raw.scipEdgesCalleeInCogo),
  );
  add(
    'Value-bound callee (callable const, object-literal method, arrow property): precision',
    (c) => frac(c.calls.valueBound.confirmed, c.calls.valueBound.cogoEdges),
    '>= 0.98',
  );
  add(
    '&nbsp;&nbsp;recall (every SCIP edge to a value-bound function)',
    (c) => frac(c.calls.valueBound.recalled, c.calls.valueBound.scipEdges),
    '>= 0.90',
  );
  add('&nbsp;&nbsp;recall over SCIP edges whose callee is a cogo object', (c) =>
    frac(c.calls.valueBound.recalled, c.calls.valueBound.scipEdgesCalleeInCogo),
  );
  const kinds = [...new Set(targets.flatMap((t) => Object.keys(cmp[t.key]!.calls.byCalleeKind)))].sort();
  for (const kind of kinds)
    add(`&nbsp;&nbsp;SCIP edges, callee kind ${kind}: cogo has / callee in cogo / all`, (c) => {
      const k = Object.hasOwn(c.calls.byCalleeKind, kind) ? c.calls.byCalleeKind[kind] : undefined;
      return k ? `${k.recalled} / ${k.calleeInCogo} / ${k.scipEdges}` : '-';
    });
  add('Issue 2 edges as issue 2 computed them: precision', (c) =>
    frac(c.calls.legacy.confirmed, c.calls.legacy.cogoEdges),
  );
  add('&nbsp;&nbsp;recall (callee is a cogo object)', (c) =>
    frac(c.calls.legacy.recalled, c.calls.legacy.scipEdgesCalleeInCogo),
  );
  return table(['Calls (SCIP = reference)', ...targets.map((t) => t.label), 'target'], rows);
}

const mb = (bytes: number | null | undefined): string =>
  bytes === null || bytes === undefined ? 'n/a' : `${(bytes / 2 ** 20).toFixed(1)} MB`;

function graphTable(
  targets: readonly Target[],
  graphs: Record<string, GraphReport>,
  sp: Record<string, Speed>,
): string {
  const rows: string[][] = [];
  const add = (label: string, f: (t: Target) => string) => rows.push([label, ...targets.map(f)]);
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  add('PGlite data directory after a full index (on disk, closed)', (t) =>
    mb(sp[t.key]?.median.cogo.dataDirBytes),
  );
  add('pg_database_size, PGlite', (t) => mb(sp[t.key]?.median.cogo.pgDatabaseSizeBytes));
  add('pg_database_size, Postgres server', (t) => {
    const server = sp[t.key]?.median.cogoServer;
    return server ? mb(server.pgDatabaseSizeBytes) : 'skipped';
  });
  add('cogo objects', (t) => String(sum(graphs[t.key]!.objects)));
  const objectKinds = [...new Set(targets.flatMap((t) => Object.keys(graphs[t.key]!.objects)))].sort();
  for (const k of objectKinds) add(`&nbsp;&nbsp;${k}`, (t) => String(graphs[t.key]!.objects[k] ?? 0));
  add('cogo relations', (t) => String(sum(graphs[t.key]!.relations)));
  const relationKinds = [...new Set(targets.flatMap((t) => Object.keys(graphs[t.key]!.relations)))].sort();
  for (const k of relationKinds) add(`&nbsp;&nbsp;${k}`, (t) => String(graphs[t.key]!.relations[k] ?? 0));
  return table(['Graph after a full index', ...targets.map((t) => t.label)], rows);
}

interface GraphReport {
  readonly objects: Record<string, number>;
  readonly relations: Record<string, number>;
  readonly [key: string]: unknown;
}

function speedTable(targets: readonly Target[], sp: Record<string, Speed>): string {
  const rows: string[][] = [];
  const add = (label: string, f: (s: Speed) => string, target = '') =>
    rows.push([label, ...targets.map((t) => (sp[t.key] ? f(sp[t.key]!) : 'not run')), target]);
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
    .flatMap((t) => (sp[t.key] ? [sp[t.key]!.cogoServer] : []))
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

/** What a held-out target keeps: summary figures only, no examples or per-reason lists. */
function summaryOnly(c: Comparison): Comparison {
  return {
    ...c,
    definitions: {
      ...c.definitions,
      misses: [],
      missReasons: {},
      span: { ...c.definitions.span, disagreements: [] },
      cogoOnly: { ...c.definitions.cogoOnly, byKind: {}, examples: [] },
    },
    calls: {
      ...c.calls,
      unconfirmedReasons: {},
      unconfirmedExamples: [],
      missedReasons: {},
      missedExamples: [],
    },
  };
}

function selectedTargets(): Array<{ key: string; prepare: () => Target }> {
  const wanted = (process.env.BENCH_TARGETS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  if (wanted.length === 0) return [...TARGETS];
  const unknown = wanted.filter((k) => !TARGETS.some((t) => t.key === k));
  if (unknown.length > 0)
    throw new Error(
      `BENCH_TARGETS: unknown ${unknown.join(', ')} (known: ${TARGETS.map((t) => t.key).join(', ')})`,
    );
  return TARGETS.filter((t) => wanted.includes(t.key));
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadBefore = loadavg();
  mkdirSync(WORK, { recursive: true });
  log('preparing sources under bench/.work/');
  const targets = selectedTargets().map((t) => t.prepare());

  const comparisons: Record<string, Comparison> = {};
  const speeds: Record<string, Speed> = {};
  const phaseMs: Record<string, Record<string, number>> = {};
  const admin = await connectAdmin();
  if ('skipped' in admin) log(`server runs skipped: ${admin.skipped}`);
  const coverage: Record<string, CogoRun['coverage']> = {};
  const graphs: Record<string, GraphReport> = {};
  for (const target of targets) {
    log(`${target.key}: ${target.files} files, ${target.lines} lines`);
    const t0 = performance.now();
    // BENCH_RUNS=0: accuracy only (one untimed scip-typescript run, no speed figures).
    if (RUNS > 0) speeds[target.key] = await speed(target, admin);
    else runScip(target, join(WORK, `${target.key}.scip`));
    const t1 = performance.now();
    const exportDir = join(WORK, `${target.key}-cogo-export`);
    const c = runCogo(target, join(WORK, `${target.key}-cogo-export.json`), ['--export', exportDir]);
    coverage[target.key] = c.run.coverage;
    graphs[target.key] = c.run.report as unknown as GraphReport;
    const t2 = performance.now();
    const full = compare(target.root, join(WORK, `${target.key}.scip`), exportDir, { typeCheck: true });
    comparisons[target.key] = target.heldOut ? summaryOnly(full) : full;
    const t3 = performance.now();
    phaseMs[target.key] = {
      speedRuns: Math.round(t1 - t0),
      exportRun: Math.round(t2 - t1),
      compare: Math.round(t3 - t2),
    };
    log(`${target.key}: speed runs ${sec(t1 - t0)}, export run ${sec(t2 - t1)}, comparison ${sec(t3 - t2)}`);
  }

  // Re-index after one-file edits, on rxjs.
  const pkg = targets.find((t) => t.key === 'rxjs');
  let incremental: Record<string, IncrementalRun[] | { skipped: string }> | undefined;
  let edits: Edit[] = [];
  if (pkg && RUNS > 0) {
    const leafPath = 'src/internal/operators/map.ts';
    const hub = mostImported(pkg.root, join(WORK, `${pkg.key}-cogo-export`));
    edits = [
      bodyEdit(pkg.root, leafPath, `function body in ${leafPath}`),
      bodyEdit(
        pkg.root,
        hub.path,
        `function body in ${hub.path} (imported directly by ${hub.importers} files)`,
      ),
    ];
    log('incremental re-index (PGlite)');
    incremental = { pglite: runIncremental(pkg, edits) };
    if ('skipped' in admin) incremental.postgres = admin;
    else {
      log('incremental re-index (Postgres server)');
      incremental.postgres = await withFreshDatabase(admin, (url) => runIncremental(pkg, edits, url));
    }
  }
  if (!('skipped' in admin)) await admin.end();

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
    settings: {
      BENCH_TARGETS: targets.map((t) => t.key).join(','),
      BENCH_RUNS: RUNS,
      BENCH_OUT: relative(REPO, OUT),
    },
    machine,
    benchmarkWallMs: totalMs,
    targets: Object.fromEntries(
      targets.map((t) => [
        t.key,
        {
          label: t.label,
          heldOut: t.heldOut,
          note: t.note,
          root: relative(REPO, t.root),
          files: t.files,
          lines: t.lines,
          phaseMs: phaseMs[t.key],
          comparison: comparisons[t.key],
          speed: speeds[t.key],
          coverage: coverage[t.key],
          cogoGraph: graphs[t.key],
        },
      ]),
    ),
    incremental:
      pkg && incremental ? { target: pkg.label, edits: edits.map((e) => e.name), ...incremental } : null,
  };
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(results, null, 2)}\n`);
  // Keep the committed file in the repository's format (`npm run lint` checks JSON too).
  const biome = join(REPO, 'node_modules', '.bin', 'biome');
  if (existsSync(biome)) spawnSync(biome, ['format', '--write', OUT], { stdio: 'ignore' });

  const out: string[] = [];
  out.push(
    `Machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGb} GB RAM, ${machine.os}; Node ${machine.node}; ` +
      `TypeScript ${machine.typescriptCogo} (cogo) / ${machine.typescriptScip} (scip); scip-typescript ${machine.scipTypescript}; ` +
      `cogo ${machine.cogoRevision}, extractor v${machine.cogoExtractorVersion}. Benchmark wall time ${sec(totalMs)}; ` +
      `load average ${machine.loadAverageBefore.join(' / ')} before, ${machine.loadAverageAfter.join(' / ')} after.`,
  );
  out.push(
    '',
    table(
      ['Sources', 'files', 'lines', 'type-check errors (benchmark tsconfig)', 'what'],
      targets.map((t) => {
        const e = comparisons[t.key]!.typeErrors;
        const codes = Object.entries(e.byCode)
          .sort((a, b) => b[1] - a[1])
          .map(([code, n]) => `${n} ${code}`)
          .join(', ');
        return [t.label, String(t.files), String(t.lines), `${e.count}${codes ? ` (${codes})` : ''}`, t.note];
      }),
    ),
  );
  out.push(
    '',
    definitionTable(targets, comparisons, 'exported'),
    '',
    definitionTable(targets, comparisons, 'all'),
    '',
    callTable(targets, comparisons),
    '',
    speedTable(targets, speeds),
    '',
    graphTable(targets, graphs, speeds),
    '',
  );
  if (pkg && incremental) {
    const incRows: string[][] = [];
    for (const [backend, runs] of Object.entries(incremental)) {
      if ('skipped' in runs) incRows.push([backend, runs.skipped, '', '', '']);
      else for (const r of runs) incRows.push([backend, r.label, r.mode, `${r.extracted}`, sec(r.wallMs)]);
    }
    out.push(
      table(
        [
          `Re-index on ${pkg.label} (target <= 2 s)`,
          'run',
          'mode',
          'files extracted',
          'indexRepository wall',
        ],
        incRows,
      ),
      '',
    );
  }
  const covRows = ['params', 'returns', 'fields', 'lines'].map((m) => [
    m,
    ...targets.map((t) => {
      const f = coverage[t.key]?.[m];
      return f ? `${fmt(f.percent, 2)}% (${f.numerator}/${f.denominator})` : 'n/a';
    }),
  ]);
  out.push(table(['cogo coverage', ...targets.map((t) => t.label)], covRows), '');
  for (const t of targets) {
    if (t.heldOut) {
      out.push(`${t.label}: held out, summary figures only (no examples, no reasons).`, '');
      continue;
    }
    const c = comparisons[t.key]!;
    const lists: Array<[string, string[]]> = [
      [
        'Definition misses (a few of each kind)',
        c.definitions.misses.map(
          (m) => `${m.where} ${m.kind}${m.exported ? ' (exported)' : ''} ${m.qualified}: ${m.reason}`,
        ),
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
    reasons('SCIP definitions not counted', c.definitions.excluded);
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
