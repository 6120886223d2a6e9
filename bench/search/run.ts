/**
 * Search benchmark (issue 3): retrieval quality, latency at scale and indexing throughput.
 *
 *   npm run bench:search      (installs bench/search's own dependencies, then runs this file)
 *   node bench/search/run.ts  (when bench/search/node_modules is already installed)
 *
 * Quality: rxjs's documented declarations; each one's first doc sentence is a query whose answer is
 * the declaration. The sources are copied to bench/.work/search/ with every doc comment blanked out,
 * indexed by cogo (indexRepository + indexSearch, local embedder) and searched in several modes, and
 * compared with ripgrep and BM25 over whole files on the same copy. rxjs is the development set
 * (cogo's search was designed looking at it); the quality part also runs, on PGlite only, on two
 * held-out packages (@reduxjs/toolkit, @tanstack/query-core; test files left out), and prints cogo's
 * file-level MRR@10 over each baseline's per package. Latency: searchCode at 10k and
 * 100k chunks (synthetic replicas of the package, see synthetic.ts) on PGlite and on the Postgres
 * server. Throughput: indexSearch on the package, and the local embedder alone.
 * Writes bench/search/results.json and prints the markdown tables for BENCHMARKS.md.
 *
 * Requires ripgrep (`apt-get install ripgrep`). Settings (environment): BENCH_PG_URL (default
 * postgres://postgres@127.0.0.1:5432; server parts are skipped, with a note, when it is not reachable),
 * BENCH_LATENCY_QUERIES (default 300), BENCH_LATENCY_BUDGET_S (seconds of measured queries per
 * configuration, default 40), BENCH_SIZES (chunk counts, default 10000,100000), BENCH_REVISION (default `git rev-parse --short HEAD`),
 * BENCH_PARTS (`all`, the default; `latency`: throughput and latency only, no quality run, written
 * to bench/search/results-latency.json; `quality`: the quality run only, to results-quality.json; the
 * full run's results.json stays). EMBEDDING_PROVIDER=openai-compatible with EMBEDDING_BASE_URL,
 * EMBEDDING_MODEL, EMBEDDING_DIMENSION (and EMBEDDING_API_KEY), as cogo reads them: the quality run
 * (BENCH_PARTS=quality only) with that embedder instead of the local one, written to
 * results-quality-<model>.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../../src/core/index.ts';
import {
  createPgliteDb,
  type Db,
  DEFAULT_MIGRATIONS_DIR,
  loadMigrations,
  migrate,
} from '../../src/db/index.ts';
import { indexRepository } from '../../src/kg/index.ts';
import {
  chunkCode,
  createEmbedder,
  createLocalEmbedder,
  type Embedder,
  indexSearch,
} from '../../src/search/index.ts';
import { flushSearchIndexes } from '../../src/search/store.ts';
import { freshServerDb, loadavg, RXJS_TSCONFIG, revision, versionOf } from '../common.ts';
import {
  Bm25,
  fileDocuments,
  identifierTokens,
  plainTokens,
  requireRipgrep,
  ripgrepRank,
} from './baselines.ts';
import {
  buildDataset,
  type Dataset,
  isTestFile,
  listFiles,
  RXJS_SOURCES,
  type SourceSpec,
} from './dataset.ts';
import {
  type Backend,
  buildVectorIndex,
  dropVectorIndex,
  type GrowTimings,
  grow,
  type LatencyRun,
  latencyQueries,
  measureLatency,
} from './latency.ts';
import {
  type ChunkText,
  COGO_MODES,
  type CogoMode,
  type CogoQuality,
  evaluateChunks,
  evaluateCogo,
  evaluateFiles,
  loadChunkTexts,
  type Metrics,
  MODE_LABELS,
  metrics,
} from './quality.ts';
import { declaredNames, embeddingText, loadSources } from './synthetic.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../..');
const WORK = join(REPO, 'bench', '.work', 'search');
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const LATENCY_QUERIES = Number(process.env.BENCH_LATENCY_QUERIES ?? 300);
const LATENCY_BUDGET_S = Number(process.env.BENCH_LATENCY_BUDGET_S ?? 40);
const WARMUP = 20;
const SIZES = (process.env.BENCH_SIZES ?? '10000,100000').split(',').map(Number);
const PARTS = process.env.BENCH_PARTS ?? 'all';
if (PARTS !== 'all' && PARTS !== 'latency' && PARTS !== 'quality')
  throw new Error(`BENCH_PARTS=${PARTS}: use all, latency or quality`);
// The embedder under test: the built-in local one, or the server cogo's EMBEDDING_* settings name
// (a semantic model such as BGE-M3 behind TEI, Ollama or vLLM), for the quality part alone: the
// latency and throughput parts are defined for the local embedder.
const REMOTE_EMBEDDER = (process.env.EMBEDDING_PROVIDER ?? 'local') !== 'local';
if (REMOTE_EMBEDDER && PARTS !== 'quality')
  throw new Error(
    `EMBEDDING_PROVIDER=${process.env.EMBEDDING_PROVIDER}: only BENCH_PARTS=quality runs with another embedder than the local one`,
  );
const EMBEDDER: Embedder = REMOTE_EMBEDDER
  ? createEmbedder(loadConfig(process.env).embedding)
  : createLocalEmbedder();
/** A mode's label, naming the embedder when it is not the local one. */
const modeLabel = (mode: CogoMode) =>
  REMOTE_EMBEDDER
    ? MODE_LABELS[mode].replace('local embedder', `embedder ${EMBEDDER.model}`)
    : MODE_LABELS[mode];
// The HNSW build after the bulk load: pgvector builds in memory when the graph fits in
// maintenance_work_mem (64 MB by default in PGlite), about 3x faster at 100k chunks than spilling.
const PGLITE_MAINTENANCE_WORK_MEM = '1GB';
const MAX_FILE_BYTES = 1_000_000;
const requireHere = createRequire(join(HERE, 'package.json'));
const packageDir = (name: string) => dirname(requireHere.resolve(`${name}/package.json`));
const PKG_DIR = packageDir('rxjs');

/** A package whose docstrings make a query set. */
interface BenchPackage {
  readonly name: string;
  /** `development`: cogo's search was designed looking at its results; `held-out`: never looked at. */
  readonly role: 'development' | 'held-out';
  /** Directory names under bench/.work/search/ (the copy as shipped, and `<slug>-stripped`). */
  readonly slug: string;
  readonly sources: SourceSpec;
}

/** The rxjs compiler options, for any package of `src/**\/*.ts` with relative imports. */
const GENERIC_TSCONFIG = { compilerOptions: RXJS_TSCONFIG.compilerOptions, include: ['src/**/*.ts'] };
const notTest = (path: string) => !isTestFile(path);

/** Held-out query sets: nothing in cogo's search was designed or tuned on them. */
const HELD_OUT: readonly BenchPackage[] = [
  {
    name: '@reduxjs/toolkit',
    role: 'held-out',
    slug: 'reduxjs-toolkit',
    sources: {
      keep: notTest,
      // The package imports itself by name (`@reduxjs/toolkit/query`, `@internal/...`): the path
      // mappings of its own tsconfig.base.json (those that point into src), so cogo resolves them.
      tsconfig: {
        compilerOptions: {
          ...RXJS_TSCONFIG.compilerOptions,
          paths: {
            '@reduxjs/toolkit': ['./src/index.ts'],
            '@reduxjs/toolkit/react': ['./src/react/index.ts'],
            '@reduxjs/toolkit/query': ['./src/query/index.ts'],
            '@reduxjs/toolkit/query/react': ['./src/query/react/index.ts'],
            '@internal/*': ['./src/*'],
          },
        },
        include: ['src/**/*.ts'],
      },
    },
  },
  {
    name: '@tanstack/query-core',
    role: 'held-out',
    slug: 'tanstack-query-core',
    sources: { keep: notTest, tsconfig: GENERIC_TSCONFIG },
  },
];

function log(message: string): void {
  process.stderr.write(`[bench:search] ${message}\n`);
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

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

async function migrated(db: Db): Promise<Db> {
  const m = await migrate(db, loadMigrations(DEFAULT_MIGRATIONS_DIR));
  if (!m.ok) throw new Error(`migration failed: ${JSON.stringify(m.results)}`);
  return db;
}

interface IndexTimes {
  readonly indexRepositoryMs: number;
  readonly indexSearchMs: number;
  readonly chunks: number;
  readonly embedded: number;
  readonly storage: string;
  readonly chunksPerS: number;
}

async function indexBoth(db: Db, root: string, embedder: Embedder): Promise<IndexTimes> {
  let t0 = performance.now();
  await indexRepository(db, { root, maxFileBytes: MAX_FILE_BYTES, full: true });
  const indexRepositoryMs = Math.round(performance.now() - t0);
  t0 = performance.now();
  const r = await indexSearch(db, { root, embedder, maxFileBytes: MAX_FILE_BYTES });
  const indexSearchMs = Math.round(performance.now() - t0);
  if (r.embeddings.error) throw new Error(`indexSearch: ${r.embeddings.error}`);
  return {
    indexRepositoryMs,
    indexSearchMs,
    chunks: r.chunks.total,
    embedded: r.embeddings.embedded,
    storage: r.embeddings.storage,
    chunksPerS: Math.round(r.chunks.total / (indexSearchMs / 1000)),
  };
}

// ---------------------------------------------------------------------------------------------

interface QualityResults {
  readonly cogo: Record<string, CogoQuality | { skipped: string }>;
  readonly baselines: Record<string, Metrics>;
  readonly baselineRanks: Record<string, Array<number | null>>;
  /** Diagnostic: BM25 over cogo's chunks, symbol level. */
  readonly chunkBm25: Metrics;
  readonly chunkBm25Ranks: Array<number | null>;
  readonly expectedFileChunks: { readonly median: number; readonly max: number };
  readonly files: number;
  readonly indexing: Record<string, IndexTimes | { skipped: string }>;
}

async function quality(
  data: Dataset,
  strippedRoot: string,
  embedder: Embedder,
  admin: pg.Client | { skipped: string },
  label = 'quality',
): Promise<QualityResults> {
  const cogo: QualityResults['cogo'] = {};
  const indexing: QualityResults['indexing'] = {};
  log(`${label}: PGlite (in memory), index the stripped copy`);
  const lite = await migrated(await createPgliteDb());
  indexing.pglite = await indexBoth(lite, strippedRoot, embedder);
  log(`${label}: PGlite, ${data.queries.length} queries x ${COGO_MODES.length} modes`);
  cogo.pglite = await evaluateCogo(lite, data.queries, embedder);
  const chunks: ChunkText[] = await loadChunkTexts(lite);
  await lite.close();
  if ('skipped' in admin) {
    cogo.postgres = admin;
    indexing.postgres = admin;
  } else {
    log(`${label}: Postgres server, index the stripped copy`);
    const s = await freshServerDb(admin, PG_URL);
    try {
      await migrated(s.db);
      indexing.postgres = await indexBoth(s.db, strippedRoot, embedder);
      log(`${label}: Postgres server, ${data.queries.length} queries x ${COGO_MODES.length} modes`);
      cogo.postgres = await evaluateCogo(s.db, data.queries, embedder);
    } finally {
      await s.drop();
    }
  }
  log(`${label}: baselines (ripgrep, BM25)`);
  const files = listFiles(join(strippedRoot, 'src'), (n) => n.endsWith('.ts')).map((p) =>
    relative(strippedRoot, p),
  );
  const documents = fileDocuments(strippedRoot, files);
  const bm25Plain = new Bm25(documents, plainTokens);
  const bm25Ident = new Bm25(documents, identifierTokens);
  // Diagnostic, symbol level: BM25 over cogo's own chunks (the text cogo ranks with ts_rank).
  const bm25Chunks = new Bm25(
    chunks.map((c) => ({ key: c.id, text: `${c.symbol ?? ''}\n${c.signature ?? ''}\n${c.content}` })),
    identifierTokens,
  );
  const baselineRanks = {
    ripgrep: evaluateFiles(data.queries, (q) => ripgrepRank(strippedRoot, q)),
    bm25: evaluateFiles(data.queries, (q) => bm25Plain.rank(q)),
    bm25Identifiers: evaluateFiles(data.queries, (q) => bm25Ident.rank(q)),
  };
  const baselines = Object.fromEntries(Object.entries(baselineRanks).map(([k, r]) => [k, metrics(r)]));
  const chunkBm25Ranks = evaluateChunks(data.queries, chunks, (q) => bm25Chunks.rank(q));
  // How much easier the file level is: chunks in each query's expected file.
  const perFile = data.queries
    .map((query) => chunks.filter((c) => c.path === query.file).length)
    .sort((a, b) => a - b);
  return {
    cogo,
    baselines,
    baselineRanks,
    chunkBm25: metrics(chunkBm25Ranks),
    chunkBm25Ranks,
    indexing,
    expectedFileChunks: { median: perFile[Math.floor(perFile.length / 2)]!, max: perFile.at(-1)! },
    files: files.length,
  };
}

// ---------------------------------------------------------------------------------------------

interface Throughput {
  readonly indexing: Record<string, IndexTimes | { skipped: string }>;
  readonly chunkingAlone: { readonly chunks: number; readonly ms: number; readonly chunksPerS: number };
  readonly embedderAlone: {
    readonly chunks: number;
    readonly chars: number;
    readonly ms: number;
    readonly chunksPerS: number;
    readonly runs: number[];
  };
}

/** chunkCode over every file, and the local embedder over every chunk's text: medians of 3 runs. */
async function cpuThroughput(db: Db, root: string, embedder: Embedder) {
  const sources = await loadSources(db, root);
  const chunkRuns: number[] = [];
  let chunks: ReturnType<typeof chunkCode> = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    chunks = sources.flatMap((f) => chunkCode(f.path, f.text, f.objects));
    chunkRuns.push(performance.now() - t0);
  }
  const texts = chunks.map(embeddingText);
  const embedRuns: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    for (let j = 0; j < texts.length; j += 64) await embedder.embed(texts.slice(j, j + 64));
    embedRuns.push(performance.now() - t0);
  }
  const chunkMs = median(chunkRuns);
  const embedMs = median(embedRuns);
  return {
    sources,
    chunkingAlone: {
      chunks: chunks.length,
      ms: Math.round(chunkMs),
      chunksPerS: Math.round(chunks.length / (chunkMs / 1000)),
    },
    embedderAlone: {
      chunks: texts.length,
      chars: texts.reduce((n, t) => n + t.length, 0),
      ms: Math.round(embedMs),
      chunksPerS: Math.round(texts.length / (embedMs / 1000)),
      runs: embedRuns.map((x) => Math.round(x)),
    },
  };
}

interface LatencyResults {
  readonly queries: { readonly total: number; readonly byType: Record<string, number> };
  readonly growth: Array<GrowTimings & { readonly hnswBuildMs: number | null }>;
  readonly runs: LatencyRun[];
  readonly skipped?: string;
}

async function throughputAndLatency(
  data: Dataset,
  originalRoot: string,
  embedder: Embedder,
  admin: pg.Client | { skipped: string },
): Promise<{ throughput: Throughput; latency: LatencyResults }> {
  const dataDir = join(WORK, 'pglite-latency');
  rmSync(dataDir, { recursive: true, force: true });
  const lite = await migrated(await createPgliteDb({ dataDir }));
  const server = 'skipped' in admin ? null : await freshServerDb(admin, PG_URL);
  try {
    if (server) await migrated(server.db);
    const indexing: Throughput['indexing'] = {};
    log('throughput: indexSearch on the package (PGlite, data dir on disk)');
    indexing.pglite = await indexBoth(lite, originalRoot, embedder);
    if (server) {
      log('throughput: indexSearch on the package (Postgres server)');
      indexing.postgres = await indexBoth(server.db, originalRoot, embedder);
    } else indexing.postgres = admin as { skipped: string };
    log('throughput: chunking and the local embedder alone');
    const cpu = await cpuThroughput(lite, originalRoot, embedder);
    const throughput: Throughput = {
      indexing,
      chunkingAlone: cpu.chunkingAlone,
      embedderAlone: cpu.embedderAlone,
    };

    const backends: Backend[] = [{ key: 'pglite', db: lite, storage: 'vector' }];
    if (server) backends.push({ key: 'postgres', db: server.db, storage: 'real[]' });
    const names = declaredNames(cpu.sources);
    const { rows } = await lite.query<{ n: number }>('select count(*)::int as n from search_chunks');
    let have = rows[0]!.n;
    // Replicas present at the smallest size: identifier queries with a variant word exist at both sizes.
    const perCopy = have;
    const queries = latencyQueries(
      data.queries.map((q) => q.text),
      names,
      LATENCY_QUERIES,
      Math.max(1, Math.floor(SIZES[0]! / perCopy) - 1),
    );
    const byType: Record<string, number> = {};
    for (const q of queries) byType[q.type] = (byType[q.type] ?? 0) + 1;
    const growth: LatencyResults['growth'] = [];
    const runs: LatencyRun[] = [];
    await lite.exec(`set maintenance_work_mem = '${PGLITE_MAINTENANCE_WORK_MEM}'`);
    let nextReplica = 1;
    for (const size of SIZES) {
      // Bulk load without the HNSW index, then build it (what indexSearch does on a fresh database
      // is create the index first and insert into it, about 3x slower for this many chunks).
      await dropVectorIndex(lite, embedder);
      log(`latency: growing to ${size} chunks`);
      const g = await grow(backends, cpu.sources, names, embedder, have, size, nextReplica);
      nextReplica = g.nextReplica;
      have = g.chunks;
      // What indexSearch does after its writes (flush the GIN pending lists), then fresh statistics.
      for (const b of backends) {
        await flushSearchIndexes(b.db);
        await b.db.exec('analyze');
      }
      log(`latency: building the HNSW index on PGlite (${size} chunks)`);
      const hnswBuildMs = await buildVectorIndex(lite, embedder);
      growth.push({ ...g, hnswBuildMs });
      for (const b of backends) {
        log(`latency: ${b.key}, ${size} chunks`);
        const run = await measureLatency(b, size, embedder, queries, WARMUP, LATENCY_BUDGET_S);
        log(
          `  ${run.all.n} queries, p50 ${run.all.p50Ms} ms, p95 ${run.all.p95Ms} ms (${run.vectorPaths.join(', ')})`,
        );
        runs.push(run);
      }
    }
    return {
      throughput,
      latency: {
        queries: { total: queries.length, byType },
        growth,
        runs,
        ...(server ? {} : { skipped: (admin as { skipped: string }).skipped }),
      },
    };
  } finally {
    await lite.close();
    rmSync(dataDir, { recursive: true, force: true });
    await server?.drop();
  }
}

// ---------------------------------------------------------------------------------------------

const f4 = (x: number) => x.toFixed(4);
const ms = (x: number) => `${Math.round(x).toLocaleString('en-US')} ms`;
const num = (x: number) => x.toLocaleString('en-US');

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const BASELINE_LABELS: Record<string, string> = {
  ripgrep: 'ripgrep on the query words (files by distinct words matched)',
  bm25: 'BM25 over whole files (words)',
  bm25Identifiers: 'BM25 over whole files (words + identifier parts)',
};

function qualityTables(q: QualityResults, data: Dataset, pkg = 'rxjs'): string {
  const out: string[] = [];
  const lite = q.cogo.pglite as CogoQuality;
  const server = 'skipped' in q.cogo.postgres! ? null : (q.cogo.postgres as CogoQuality);
  const row = (label: string, level: string, m: Metrics, m2?: Metrics | null) => [
    label,
    level,
    f4(m.mrr10),
    f4(m.recall1),
    f4(m.recall10),
    m2 ? `${f4(m2.mrr10)} / ${f4(m2.recall1)} / ${f4(m2.recall10)}` : '-',
  ];
  const rows: string[][] = [];
  for (const mode of COGO_MODES)
    rows.push(row(modeLabel(mode), 'symbol', lite.symbol[mode], server?.symbol[mode]));
  for (const mode of COGO_MODES) rows.push(row(modeLabel(mode), 'file', lite.file[mode], server?.file[mode]));
  for (const [k, m] of Object.entries(q.baselines)) rows.push(row(BASELINE_LABELS[k] ?? k, 'file', m));
  rows.push(row("BM25 over cogo's chunks (words + identifier parts; diagnostic)", 'symbol', q.chunkBm25));
  out.push(
    table(
      [
        `Retrieval, ${data.queries.length} docstring queries on ${pkg} (doc comments removed)`,
        'level',
        'MRR@10',
        'Recall@1',
        'Recall@10',
        server
          ? 'Postgres server (exact vectors): MRR@10 / R@1 / R@10'
          : `Postgres server: not run (${(q.cogo.postgres as { skipped: string }).skipped})`,
      ],
      rows,
    ),
  );
  const ratio = (x: number, b: number) => (b > 0 ? (x / b).toFixed(2) : 'n/a');
  const met = (x: number, b: number) => (b > 0 && x / b >= 1.5 ? 'met' : '**not met**');
  const targetRows: string[][] = [];
  for (const [k, m] of Object.entries(q.baselines)) {
    const fused = lite.file.fused.mrr10;
    const sym = lite.symbol.fused.mrr10;
    targetRows.push([
      BASELINE_LABELS[k] ?? k,
      f4(m.mrr10),
      `${f4(fused)}: ${ratio(fused, m.mrr10)}x, ${met(fused, m.mrr10)}`,
      `${f4(sym)}: ${ratio(sym, m.mrr10)}x, ${met(sym, m.mrr10)}`,
    ]);
  }
  out.push(
    '',
    table(
      [
        'Target: cogo fused MRR@10 >= 1.5 x each baseline (file level)',
        'baseline MRR@10',
        'cogo fused, file level (like for like)',
        'cogo fused, symbol level (a harder task)',
      ],
      targetRows,
    ),
  );
  // Breakdown of the fused symbol-level figures.
  const outcomes = lite.outcomes.fused;
  const groups = new Map<string, Array<number | null>>();
  const push = (key: string, r: number | null) => groups.set(key, [...(groups.get(key) ?? []), r]);
  const overlapBucket = (x: number) =>
    x === 0 ? 'none' : x < 0.25 ? 'under 25 %' : x < 0.5 ? '25-50 %' : '50 % or more';
  const order = [
    'kind: function',
    'kind: method',
    'kind: class',
    'kind: interface',
    'kind: type',
    ...['none', 'under 25 %', '25-50 %', '50 % or more'].map(
      (b) => `answer's code has ${b} of the query's content words`,
    ),
    'query names the symbol',
    'query does not name the symbol',
  ];
  data.queries.forEach((query, i) => {
    const r = outcomes[i]!.symbolRank;
    push(`kind: ${query.kind}`, r);
    push(query.mentionsName ? 'query names the symbol' : 'query does not name the symbol', r);
    push(`answer's code has ${overlapBucket(lite.overlap[i]!)} of the query's content words`, r);
  });
  const sortedGroups = [...groups].sort(
    ([a], [b]) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || (a < b ? -1 : 1),
  );
  out.push(
    '',
    table(
      ['cogo fused, symbol level, by query', 'queries', 'MRR@10', 'Recall@1', 'Recall@10'],
      sortedGroups.map(([k, ranks]) => {
        const m = metrics(ranks);
        return [k, `${m.n}`, f4(m.mrr10), f4(m.recall1), f4(m.recall10)];
      }),
    ),
  );
  const len = lite.medianLength;
  out.push(
    '',
    `File level: ${q.files} files; the expected file holds a median of ${q.expectedFileChunks.median} cogo chunks ` +
      `(at most ${q.expectedFileChunks.max}), any of which counts as a file hit. ` +
      `Median chunk length (characters): all chunks ${len.all}, the expected chunks ${len.expected}, ` +
      `first hits ${COGO_MODES.map((m) => `${m} ${len.firstHit[m]}`).join(', ')}.`,
  );
  return out.join('\n');
}

function throughputTable(t: Throughput, q: QualityResults | null): string {
  const cell = (x: IndexTimes | { skipped: string } | undefined, f: (i: IndexTimes) => string) =>
    !x || 'skipped' in x ? 'skipped' : f(x);
  const rows = [
    [
      'indexSearch, full (chunk + keyword vectors + local embeddings + writes), rxjs as shipped',
      cell(
        t.indexing.pglite,
        (i) => `${num(i.chunks)} chunks in ${ms(i.indexSearchMs)}: ${num(i.chunksPerS)} chunks/s`,
      ),
      cell(
        t.indexing.postgres,
        (i) => `${num(i.chunks)} chunks in ${ms(i.indexSearchMs)}: ${num(i.chunksPerS)} chunks/s`,
      ),
    ],
    ...(q
      ? [
          [
            'indexSearch, full, the stripped copy (quality run; PGlite in memory)',
            cell(
              q.indexing.pglite,
              (i) => `${num(i.chunks)} chunks in ${ms(i.indexSearchMs)}: ${num(i.chunksPerS)} chunks/s`,
            ),
            cell(
              q.indexing.postgres,
              (i) => `${num(i.chunks)} chunks in ${ms(i.indexSearchMs)}: ${num(i.chunksPerS)} chunks/s`,
            ),
          ],
        ]
      : []),
    [
      'indexRepository before it (for scale)',
      cell(t.indexing.pglite, (i) => ms(i.indexRepositoryMs)),
      cell(t.indexing.postgres, (i) => ms(i.indexRepositoryMs)),
    ],
    [
      'chunkCode alone (CPU, median of 3)',
      `${num(t.chunkingAlone.chunks)} chunks in ${ms(t.chunkingAlone.ms)}: ${num(t.chunkingAlone.chunksPerS)} chunks/s`,
      'same process',
    ],
    [
      'local embedder alone (CPU, batches of 64, median of 3)',
      `${num(t.embedderAlone.chunks)} texts (${num(t.embedderAlone.chars)} chars) in ${ms(t.embedderAlone.ms)}: ${num(t.embedderAlone.chunksPerS)} chunks/s`,
      'same process',
    ],
  ];
  return table(['Indexing throughput', 'PGlite', 'Postgres server'], rows);
}

function latencyTables(l: LatencyResults): string {
  const out: string[] = [];
  const pct = (f: { n: number; p50Ms: number; p95Ms: number }) => (f.n > 0 ? `${f.p50Ms} / ${f.p95Ms}` : '-');
  const rows = l.runs.map((r) => [
    num(r.chunks),
    r.backend,
    r.vectorPaths.join(', ') +
      (r.hnswUsed === null ? '' : r.hnswUsed ? ' (index used)' : ' (index NOT used)'),
    `${r.all.n}${r.stoppedBy === 'budget' ? ` (${r.budgetS} s budget)` : ''}`,
    `${r.all.p50Ms}`,
    `**${r.all.p95Ms}**`,
    `${r.all.maxMs}`,
    pct(r.byType.sentence),
    pct(r.byType.identifier),
    pct(r.byType.phrase),
    `${r.retrievers.keywordP50Ms} / ${r.retrievers.vectorP50Ms}`,
    r.chunks === 100_000 && r.backend === 'postgres'
      ? r.all.p95Ms <= 50
        ? 'met'
        : '**not met** (<= 50)'
      : '',
  ]);
  out.push(
    table(
      [
        'Chunks',
        'backend',
        'vector path',
        'queries measured',
        'p50 ms',
        'p95 ms',
        'max ms',
        'sentence p50/p95',
        'identifier p50/p95',
        'phrase p50/p95',
        'keyword / vector retriever alone, p50 ms',
        'target',
      ],
      rows,
    ),
  );
  out.push(
    '',
    table(
      [
        'Building the latency corpus',
        'replicas',
        'generate (chunkCode)',
        'embed',
        'writes (concurrent)',
        'HNSW build (PGlite)',
      ],
      l.growth.map((g) => [
        `to ${num(g.chunks)} chunks`,
        `${g.replicas}`,
        ms(g.generateMs),
        ms(g.embedMs),
        Object.entries(g.writeMs)
          .map(([k, v]) => `${k} ${ms(v)}`)
          .join(', '),
        g.hnswBuildMs === null ? '-' : ms(g.hnswBuildMs),
      ]),
    ),
  );
  const scans = l.runs.filter((r) => r.scan);
  if (scans.length > 0)
    out.push(
      '',
      table(
        [
          'In-process vector scan (server)',
          'rows loaded',
          'cold load',
          'first search (waits for the load)',
          'query vector non-zeros (local embedder, median)',
          'dense query vectors: searchCode p50 / p95 ms',
          'right after a write of 64 vectors: searchCode p50 / max ms (full loads)',
        ],
        scans.map((r) => [
          `${num(r.chunks)} chunks`,
          num(r.scan!.rows),
          r.scan!.loadMs === null ? 'not loaded (over budget)' : ms(r.scan!.loadMs),
          ms(r.scan!.firstSearchMs),
          `${r.scan!.queryNonZeroMedian}`,
          r.scan!.dense
            ? `${r.scan!.dense.p50Ms} / ${r.scan!.dense.p95Ms} (${r.scan!.dense.n} queries)`
            : '-',
          `${r.scan!.afterWrite.p50Ms} / ${r.scan!.afterWrite.maxMs} (${r.scan!.afterWrite.n} writes, ${r.scan!.afterWrite.loadsDuring} full loads)`,
        ]),
      ),
    );
  if (l.skipped) out.push('', `Server runs skipped: ${l.skipped}.`);
  return out.join('\n');
}

/** One line per query whose expected symbol is not in cogo fused's top 10 (PGlite run). */
function fusedMisses(data: Dataset, q: QualityResults): string[] {
  const lite = q.cogo.pglite as CogoQuality;
  const lines: string[] = [];
  data.queries.forEach((query, i) => {
    const o = lite.outcomes.fused[i]!;
    if (o.symbolRank !== null && o.symbolRank <= 10) return;
    lines.push(
      `"${query.text}" -> expected \`${query.symbol}\` (${query.file}); ` +
        `symbol rank ${o.symbolRank ?? '>100'}, file rank ${o.fileRank ?? '>100'}; first hit ${o.top[0] ?? 'none'}`,
    );
  });
  return lines;
}

/** The chunks cogo fused ranks first most often, with how often. */
function firstHitCounts(q: QualityResults): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const o of (q.cogo.pglite as CogoQuality).outcomes.fused) {
    const first = o.top[0] ?? 'none';
    counts.set(first, (counts.get(first) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
}

function missesList(data: Dataset, q: QualityResults, limit: number): string {
  const lite = q.cogo.pglite as CogoQuality;
  const lines = fusedMisses(data, q);
  const missed = lite.outcomes.fused.filter((o) => o.symbolRank === null || o.symbolRank > 10);
  const rightFile = missed.filter((o) => o.fileRank !== null && o.fileRank <= 10).length;
  const firstHits = new Map<string, number>();
  for (const o of lite.outcomes.fused) {
    const path = /\(([^:]+):\d+\)$/.exec(o.top[0] ?? '')?.[1] ?? 'none';
    firstHits.set(path, (firstHits.get(path) ?? 0) + 1);
  }
  const commonest = [...firstHits]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([p, n]) => `${p} (${n})`)
    .join(', ');
  const chunks = firstHitCounts(q)
    .slice(0, 3)
    .map(([c, n]) => `${c} (${n})`)
    .join(', ');
  return [
    `Fused misses at symbol level (not in the top 10): ${missed.length} of ${data.queries.length}; ` +
      `${rightFile} of them have the expected file in the top 10 files. Files most often ranked first: ${commonest}; ` +
      `chunks: ${chunks}.`,
    '',
    `The first ${Math.min(limit, lines.length)} misses:`,
    ...lines.slice(0, limit).map((l) => `- ${l}`),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The packages: rxjs (development set) and the held-out ones.

const RXJS: BenchPackage = { name: 'rxjs', role: 'development', slug: 'rxjs', sources: RXJS_SOURCES };

/** The held-out packages are evaluated on PGlite only, to keep the run short. */
const HELD_OUT_SERVER = { skipped: 'held-out packages: PGlite only' };

interface PackageSet {
  readonly pkg: BenchPackage;
  readonly version: string;
  readonly data: Dataset;
  readonly originalRoot: string;
  readonly strippedRoot: string;
}

interface PackageRun extends PackageSet {
  readonly q: QualityResults;
}

function buildSet(pkg: BenchPackage): PackageSet {
  const dir = packageDir(pkg.name);
  const version = versionOf(join(dir, 'package.json'));
  const originalRoot = join(WORK, pkg.slug);
  const strippedRoot = join(WORK, `${pkg.slug}-stripped`);
  log(
    `building the query set from ${pkg.name}@${version} (${pkg.role === 'development' ? 'development set' : 'held out'})`,
  );
  const data = buildDataset(dir, originalRoot, strippedRoot, pkg.sources);
  if (data.docCommentsLeft > 0)
    throw new Error(`${pkg.name}: ${data.docCommentsLeft} doc comments left in the stripped copy`);
  log(
    `${data.documented} documented declarations, ${data.queries.length} queries ` +
      `(${data.droppedShort} under 3 words, ${data.droppedDuplicate} duplicates dropped); ` +
      `${data.files} files, ${data.excludedFiles.length} test files left out`,
  );
  return { pkg, version, data, originalRoot, strippedRoot };
}

const setLabel = (r: PackageSet) =>
  `${r.pkg.name}@${r.version} (${r.pkg.role === 'development' ? 'development set' : 'held out'})`;

function datasetSummary(data: Dataset) {
  return {
    documented: data.documented,
    droppedShort: data.droppedShort,
    droppedDuplicate: data.droppedDuplicate,
    queries: data.queries.length,
    docCommentsRemoved: data.docCommentsRemoved,
    files: data.files,
    excludedTestFiles: data.excludedFiles,
    byKind: Object.fromEntries(
      [...new Set(data.queries.map((x) => x.kind))].map((k) => [
        k,
        data.queries.filter((x) => x.kind === k).length,
      ]),
    ),
    mentionsName: data.queries.filter((x) => x.mentionsName).length,
  };
}

function datasetLine(r: PackageRun): string {
  const d = datasetSummary(r.data);
  const lite = r.q.cogo.pglite as CogoQuality;
  return (
    `Query set: ${setLabel(r)}, ${d.files} \`.ts\` files under src (${d.excludedTestFiles.length} test files left out), ` +
    `${d.documented} documented declarations, ${d.droppedShort} with a first sentence under 3 words and ` +
    `${d.droppedDuplicate} sharing their sentence with another symbol dropped: ${d.queries} queries ` +
    `(${Object.entries(d.byKind)
      .map(([k, n]) => `${n} ${k}`)
      .join(
        ', ',
      )}; ${d.mentionsName} name the symbol). ${d.docCommentsRemoved} doc comments blanked in the ` +
    `indexed copy; ${cellChunks(r.q.indexing.pglite)} chunks. Vector path: PGlite ${lite.vectorPaths.join(', ')}.`
  );
}

const cellChunks = (i: IndexTimes | { skipped: string } | undefined) =>
  !i || 'skipped' in i ? '?' : num(i.chunks);

/** Per held-out package: its query set and quality figures (`misses`: every fused miss, full run only). */
function heldOutResults(runs: readonly PackageRun[], misses: boolean) {
  return Object.fromEntries(
    runs.map((r) => {
      const lite = r.q.cogo.pglite as CogoQuality;
      return [
        `${r.pkg.name}@${r.version}`,
        {
          role: r.pkg.role,
          dataset: datasetSummary(r.data),
          tsconfig: r.pkg.sources.tsconfig,
          quality: {
            ...qualitySummary(r.q),
            maxVectorCandidates: lite.maxVectorCandidates,
            medianLength: lite.medianLength,
            expectedFileChunks: r.q.expectedFileChunks,
            indexing: r.q.indexing,
            ...(misses
              ? { fusedMisses: fusedMisses(r.data, r.q), firstHits: firstHitCounts(r.q).slice(0, 10) }
              : {}),
          },
        },
      ];
    }),
  );
}

function heldOutSection(runs: readonly PackageRun[]): string {
  const out: string[] = [];
  for (const r of runs)
    out.push(
      datasetLine(r),
      '',
      qualityTables(r.q, r.data, setLabel(r)),
      '',
      missesList(r.data, r.q, 10),
      '',
    );
  return out.join('\n').trimEnd();
}

const TARGET_MODES = ['fused', 'rrf'] as const;

/** Per package and mode (fused, i.e. the defaults, and rrf): cogo's file-level MRR@10 (PGlite) over each baseline's. */
function targets(runs: readonly PackageRun[]) {
  return runs.flatMap((r) =>
    TARGET_MODES.map((mode) => {
      const cogo = (r.q.cogo.pglite as CogoQuality).file[mode].mrr10;
      const baselines = Object.fromEntries(
        Object.entries(r.q.baselines).map(([k, m]) => [
          k,
          {
            mrr10: m.mrr10,
            ratio: m.mrr10 > 0 ? Math.round((cogo / m.mrr10) * 100) / 100 : null,
            met: m.mrr10 > 0 && cogo / m.mrr10 >= 1.5,
          },
        ]),
      );
      return {
        package: `${r.pkg.name}@${r.version}`,
        role: r.pkg.role,
        queries: r.data.queries.length,
        mode,
        level: 'file',
        cogoMrr10: cogo,
        baselines,
        metAgainstAll: Object.values(baselines).every((b) => b.met),
      };
    }),
  );
}

function targetTables(runs: readonly PackageRun[]): string {
  const all = targets(runs);
  const keys = Object.keys(all[0]?.baselines ?? {});
  const out: string[] = [];
  for (const mode of TARGET_MODES) {
    const rows = all
      .filter((t) => t.mode === mode)
      .map((t) => {
        const met = keys.filter((k) => t.baselines[k]!.met).length;
        return [
          t.package,
          t.role === 'development' ? 'development' : 'held out',
          `${t.queries}`,
          `**${f4(t.cogoMrr10)}**`,
          ...keys.map((k) => {
            const b = t.baselines[k]!;
            return `${f4(b.mrr10)}: ${b.ratio === null ? 'n/a' : `${b.ratio.toFixed(2)}x`}${b.met ? '' : ' (**not met**)'}`;
          }),
          t.metAgainstAll ? 'met against all' : `**not met** (${met} of ${keys.length} met)`,
        ];
      });
    out.push(
      table(
        [
          `Target: ${modeLabel(mode)} MRR@10 >= 1.5 x each baseline, file level (PGlite)`,
          'set',
          'queries',
          'cogo MRR@10',
          ...keys.map((k) => `${BASELINE_LABELS[k] ?? k}: MRR@10, cogo / it`),
          '1.5x target',
        ],
        rows,
      ),
      '',
    );
  }
  return out.join('\n').trimEnd();
}

/** BENCH_PARTS=quality: every package's tables, then the targets across packages. */
function allQualityTables(runs: readonly PackageRun[]): string {
  const [dev, ...held] = runs;
  return [
    datasetLine(dev!),
    '',
    qualityTables(dev!.q, dev!.data, setLabel(dev!)),
    '',
    heldOutSection(held),
    '',
    targetTables(runs),
  ].join('\n');
}

interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGb: number;
  readonly os: string;
  readonly node: string;
  readonly ripgrep: string;
  readonly cogoRevision: string;
  readonly loadAverageBefore: number[];
  readonly loadAverageAfter: number[];
}

/** The quality figures without the per-query ranks (those go to bench/.work/search/per-query.json in a full run). */
function qualitySummary(q: QualityResults) {
  const pick = (r: CogoQuality) => ({ symbol: r.symbol, file: r.file, vectorPaths: r.vectorPaths });
  return {
    cogo: Object.fromEntries(Object.entries(q.cogo).map(([db, r]) => [db, pick(r as CogoQuality)])),
    baselines: q.baselines,
    chunkBm25: q.chunkBm25,
    files: q.files,
  };
}

/** BENCH_PARTS=latency: results-latency.json and the latency and throughput tables. */
function writeLatencyOnly(
  machine: Machine,
  totalMs: number,
  throughput: Throughput,
  latency: LatencyResults,
) {
  const resultsFile = join(HERE, 'results-latency.json');
  const results = {
    command: 'BENCH_PARTS=latency npm run bench:search',
    machine,
    benchmarkWallMs: totalMs,
    throughput,
    latency,
  };
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  const biome = join(REPO, 'node_modules', '.bin', 'biome');
  if (existsSync(biome)) spawnSync(biome, ['format', '--write', resultsFile], { stdio: 'ignore' });
  process.stdout.write(
    [
      `Machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGb} GB RAM, ${machine.os}; Node ${machine.node}; ` +
        `cogo ${machine.cogoRevision}. Benchmark wall time ${(totalMs / 1000).toFixed(0)} s; ` +
        `load average ${machine.loadAverageBefore.join(' / ')} before, ${machine.loadAverageAfter.join(' / ')} after.`,
      '',
      latencyTables(latency),
      '',
      throughputTable(throughput, null),
      '',
    ].join('\n'),
  );
  log(`done in ${(totalMs / 1000).toFixed(0)} s; results in ${relative(REPO, resultsFile)}`);
}

async function main(): Promise<void> {
  const rg = PARTS === 'all' ? requireRipgrep() : 'ripgrep not used';
  const started = performance.now();
  const loadBefore = loadavg();
  mkdirSync(WORK, { recursive: true });
  const rxjs = buildSet(RXJS);
  const { data, originalRoot, strippedRoot } = rxjs;
  const embedder = EMBEDDER;
  const admin = await connectAdmin();
  if ('skipped' in admin) log(`server parts skipped: ${admin.skipped}`);
  const q = PARTS !== 'latency' ? await quality(data, strippedRoot, embedder, admin, 'quality (rxjs)') : null;
  // The held-out packages: the quality part only, on PGlite (the server run stays rxjs only).
  const heldOut: PackageRun[] = [];
  if (PARTS !== 'latency')
    for (const pkg of HELD_OUT) {
      const set = buildSet(pkg);
      const r = await quality(set.data, set.strippedRoot, embedder, HELD_OUT_SERVER, `quality (${pkg.name})`);
      heldOut.push({ ...set, q: r });
    }
  const runs: PackageRun[] = q ? [{ ...rxjs, q }, ...heldOut] : [];
  if (q && PARTS === 'quality') {
    // BENCH_PARTS=quality: the retrieval-quality tables only, beside the full run's results.json.
    if (!('skipped' in admin)) await admin.end();
    const resultsFile = join(
      HERE,
      REMOTE_EMBEDDER
        ? `results-quality-${EMBEDDER.model.replace(/[^\w.-]+/g, '_')}.json`
        : 'results-quality.json',
    );
    const results = {
      command: 'BENCH_PARTS=quality npm run bench:search',
      embedder: { model: EMBEDDER.model, dimension: EMBEDDER.dimension },
      revision: revision(),
      loadAverage: { before: loadBefore, after: loadavg() },
      wallMs: Math.round(performance.now() - started),
      package: `rxjs@${rxjs.version}`,
      quality: qualitySummary(q),
      heldOut: heldOutResults(heldOut, false),
      targets: targets(runs),
    };
    writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
    const biome = join(REPO, 'node_modules', '.bin', 'biome');
    if (existsSync(biome)) spawnSync(biome, ['format', '--write', resultsFile], { stdio: 'ignore' });
    process.stdout.write(`${allQualityTables(runs)}\n`);
    log(
      `done in ${((performance.now() - started) / 1000).toFixed(0)} s; results in ${relative(REPO, resultsFile)}`,
    );
    return;
  }
  const { throughput, latency } = await throughputAndLatency(data, originalRoot, embedder, admin);
  if (!('skipped' in admin)) await admin.end();

  const totalMs = Math.round(performance.now() - started);
  const cpus = os.cpus();
  const machine: Machine = {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    ripgrep: rg,
    cogoRevision: revision(),
    loadAverageBefore: loadBefore,
    loadAverageAfter: loadavg(),
  };
  if (!q) {
    writeLatencyOnly(machine, totalMs, throughput, latency);
    return;
  }
  const lite = q.cogo.pglite as CogoQuality;
  const results = {
    command: 'npm run bench:search',
    machine,
    benchmarkWallMs: totalMs,
    package: `rxjs@${versionOf(join(PKG_DIR, 'package.json'))}`,
    dataset: {
      documented: data.documented,
      droppedShort: data.droppedShort,
      droppedDuplicate: data.droppedDuplicate,
      queries: data.queries.length,
      docCommentsRemoved: data.docCommentsRemoved,
      byKind: Object.fromEntries(
        [...new Set(data.queries.map((x) => x.kind))].map((k) => [
          k,
          data.queries.filter((x) => x.kind === k).length,
        ]),
      ),
      mentionsName: data.queries.filter((x) => x.mentionsName).length,
    },
    quality: {
      cogo: Object.fromEntries(
        Object.entries(q.cogo).map(([k, v]) => [
          k,
          'skipped' in v
            ? v
            : {
                symbol: v.symbol,
                file: v.file,
                vectorPaths: v.vectorPaths,
                maxVectorCandidates: v.maxVectorCandidates,
                medianLength: v.medianLength,
              },
        ]),
      ),
      baselines: q.baselines,
      chunkBm25: q.chunkBm25,
      expectedFileChunks: q.expectedFileChunks,
      indexing: q.indexing,
      // Every fused miss at symbol level, one line each; the per-query ranks of every method are in
      // bench/.work/search/per-query.json (not committed: about 350 KB).
      fusedMisses: fusedMisses(data, q),
      firstHits: firstHitCounts(q).slice(0, 10),
    },
    heldOut: heldOutResults(heldOut, true),
    targets: targets(runs),
    throughput,
    latency,
  };
  const perQuery = data.queries.map((query, i) => ({
    ...query,
    ranks: Object.fromEntries([
      ...COGO_MODES.map((m: CogoMode) => [
        m,
        { symbol: lite.outcomes[m][i]!.symbolRank, file: lite.outcomes[m][i]!.fileRank },
      ]),
      ...Object.entries(q.baselineRanks).map(([k, r]) => [k, { file: r[i] }]),
      ['chunkBm25', { symbol: q.chunkBm25Ranks[i] }],
    ]),
    lexicalOverlap: lite.overlap[i],
    fusedTop: lite.outcomes.fused[i]!.top,
  }));
  writeFileSync(join(WORK, 'per-query.json'), `${JSON.stringify(perQuery, null, 2)}\n`);
  const resultsFile = join(HERE, 'results.json');
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  const biome = join(REPO, 'node_modules', '.bin', 'biome');
  if (existsSync(biome)) spawnSync(biome, ['format', '--write', resultsFile], { stdio: 'ignore' });

  const out: string[] = [];
  out.push(
    `Machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGb} GB RAM, ${machine.os}; Node ${machine.node}; ` +
      `${rg}; cogo ${machine.cogoRevision}. Benchmark wall time ${(totalMs / 1000).toFixed(0)} s; ` +
      `load average ${machine.loadAverageBefore.join(' / ')} before, ${machine.loadAverageAfter.join(' / ')} after.`,
    '',
    `Query set: ${results.package}, ${data.documented} documented declarations, ${data.droppedShort} with a first ` +
      `sentence under 3 words and ${data.droppedDuplicate} sharing their sentence with another symbol dropped: ` +
      `${data.queries.length} queries (${Object.entries(results.dataset.byKind)
        .map(([k, n]) => `${n} ${k}`)
        .join(', ')}; ${results.dataset.mentionsName} name the symbol). ` +
      `${data.docCommentsRemoved} doc comments blanked in the indexed copy. Vector path (quality run): ` +
      `PGlite ${lite.vectorPaths.join(', ')}, at most ${lite.maxVectorCandidates} vector candidates per query` +
      ('skipped' in q.cogo.postgres!
        ? ''
        : `; server ${(q.cogo.postgres as CogoQuality).vectorPaths.join(', ')}`) +
      '.',
    '',
    qualityTables(q, data, `rxjs (development set)`),
    '',
    heldOutSection(heldOut),
    '',
    targetTables(runs),
    '',
    latencyTables(latency),
    '',
    throughputTable(throughput, q),
    '',
    missesList(data, q, 25),
  );
  process.stdout.write(`${out.join('\n')}\n`);
  log(`done in ${(totalMs / 1000).toFixed(0)} s; results in ${relative(REPO, resultsFile)}`);
}

await main();
