import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { type Logger, sha256Hex } from '../core/index.ts';
import type { Db } from '../db/index.ts';
import { recordIndexRun } from './metrics.ts';
import type { CboObject, CboRelation } from './model.ts';
import type { IndexReport, ProgressEvent } from './report.ts';
import { type ScannedFile, type SkippedPath, scanRepository } from './scan.ts';
import { loadScope, scopeMatcher } from './scope.ts';
import * as store from './store.ts';
import { extractProject, type FileExtraction } from './ts/extract.ts';
import { createSharedHost, discoverProjects } from './ts/programs.ts';
import { CALL_OUTCOMES, type CallSample, type CallStats, emptyCallStats } from './ts/relations.ts';
import { affectsGlobals } from './ts/syntax.ts';

/** Bumped whenever extraction output changes, so stored graphs from older versions are rebuilt. */
export const EXTRACTOR_VERSION = 2;
const MAX_CALL_SAMPLES = 50;

export interface IndexOptions {
  readonly root: string;
  readonly maxFileBytes: number;
  /** Rebuild everything instead of only what changed and what depends on it. */
  readonly full?: boolean;
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Structured log of the run: a line per skipped file and tsconfig problem, and a summary. */
  readonly logger?: Logger;
}

interface Plan {
  readonly mode: 'full' | 'incremental';
  /** Paths to extract now. */
  readonly targets: Set<string>;
  /** Paths whose stored graph must go (targets, deleted files, files that became unindexable). */
  readonly cleared: Set<string>;
  readonly deleted: string[];
}

/** Hash of a file's bytes, or of the error that stopped its reading (reported by discoverProjects). */
function contentHash(file: string): string {
  try {
    return sha256Hex(readFileSync(file));
  } catch (error) {
    return `unreadable:${(error as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}

/** Parses a changed file on its own (cheap, no program) to see whether it affects globals. */
function quickAffectsGlobals(file: ScannedFile): boolean {
  return affectsGlobals(ts.createSourceFile(file.absPath, file.text, ts.ScriptTarget.Latest, false));
}

async function planRun(
  db: Db,
  files: readonly ScannedFile[],
  skipped: readonly SkippedPath[],
  previous: ReadonlyMap<string, store.FileRecord>,
  projectOf: ReadonlyMap<string, string>,
  fullRequested: boolean,
): Promise<Plan> {
  const all = new Set(files.map((f) => f.path));
  if (fullRequested || previous.size === 0)
    return { mode: 'full', targets: all, cleared: new Set(), deleted: [] };
  const skippedNow = new Set(skipped.map((s) => s.path));
  const changed = files.filter((f) => {
    const prev = previous.get(f.path);
    return !prev || prev.content_hash !== f.contentHash || prev.project !== projectOf.get(f.path);
  });
  const deleted = [...previous.keys()].filter((p) => !all.has(p) && !skippedNow.has(p));
  const nowSkipped = [...skippedNow].filter((p) => previous.get(p)?.status === 'indexed');
  const gone = [...deleted, ...nowSkipped];
  const globalsTouched =
    changed.some((f) => previous.get(f.path)?.affects_globals || quickAffectsGlobals(f)) ||
    gone.some((p) => previous.get(p)?.affects_globals);
  if (globalsTouched) return { mode: 'full', targets: all, cleared: new Set(), deleted };
  const targets = new Set(changed.map((f) => f.path));
  for (const p of await store.findDependents(db, [...targets, ...gone])) if (all.has(p)) targets.add(p);
  // A new, removed or newly parseable file can make an import that did not resolve resolve now, or the reverse.
  const pathSetChanged = gone.length > 0 || changed.some((f) => previous.get(f.path)?.status !== 'indexed');
  if (pathSetChanged) {
    for (const [p, r] of previous) if (r.unresolved_imports > 0 && all.has(p)) targets.add(p);
  }
  return { mode: 'incremental', targets, cleared: new Set([...targets, ...gone]), deleted };
}

function fileRecord(x: FileExtraction): store.FileRecord {
  return {
    path: x.file.path,
    language: 'ts',
    project: x.project,
    content_hash: x.file.contentHash,
    size_bytes: x.file.sizeBytes,
    line_count: x.lineCount,
    status: x.parseError ? 'skipped' : 'indexed',
    reason: x.parseError ?? null,
    affects_globals: x.affectsGlobals,
    unresolved_imports: x.unresolvedImports.length,
    depends_on: x.dependsOn,
    calls: x.calls,
  };
}

function skippedRecord(s: SkippedPath): store.FileRecord {
  return {
    path: s.path,
    language: 'ts',
    project: null,
    content_hash: '',
    size_bytes: 0,
    line_count: null,
    status: 'skipped',
    reason: s.reason,
    affects_globals: false,
    unresolved_imports: 0,
    depends_on: [],
    calls: {},
  };
}

/** Sums per-file call statistics from the file table (the whole graph, not just this run). */
function totalCalls(records: Iterable<store.FileRecord>): CallStats {
  const total = emptyCallStats();
  for (const r of records) for (const k of CALL_OUTCOMES) total[k] += r.calls[k] ?? 0;
  return total;
}

/**
 * Indexes a repository into the knowledge graph. Only files whose content changed, and the files
 * that depend on them, are extracted again; the result equals a clean rebuild. One bad file never
 * stops the run: it is listed in the report with the reason.
 *
 * @example
 * const report = await indexRepository(db, { root: '.', maxFileBytes: 1_000_000 });
 */
export async function indexRepository(db: Db, options: IndexOptions): Promise<IndexReport> {
  const started = new Date();
  const t0 = performance.now();
  const root = resolve(options.root);
  const progress = options.onProgress ?? (() => undefined);

  progress({ phase: 'scan', done: 0, total: 0 });
  const scope = loadScope(root);
  const scan = scanRepository(root, scopeMatcher(scope), { maxFileBytes: options.maxFileBytes });
  const discovery = discoverProjects(root, scan.tsconfigs, scan.files);
  const tScan = performance.now();

  const configHash = sha256Hex(
    JSON.stringify({
      extractor: EXTRACTOR_VERSION,
      typescript: ts.version,
      scope,
      // tsconfig contents and parsed options, not the file lists: adds and deletes are planned per file.
      tsconfigs: scan.tsconfigs.map((p) => [p, contentHash(join(root, p))]),
      projects: discovery.projects.map((p) => [p.name, p.options]),
    }),
  );
  const previous = await store.loadFileRecords(db);
  const configChanged = (await store.getMeta<string>(db, 'config_hash')) !== configHash;
  const projectOf = new Map(discovery.projects.flatMap((p) => p.files.map((f) => [f.path, p.name] as const)));
  const plan = await planRun(
    db,
    scan.files,
    scan.skipped,
    previous,
    projectOf,
    options.full === true || configChanged,
  );

  const scannedByAbs = new Map<string, ScannedFile>();
  for (const f of scan.files) {
    scannedByAbs.set(ts.sys.resolvePath(f.absPath), f);
    scannedByAbs.set(ts.sys.resolvePath(f.realPath), f);
  }
  const ctx = { root, scannedByAbs, hostFor: createSharedHost(root, scannedByAbs) };
  const extractions: FileExtraction[] = [];
  let done = 0;
  for (const project of discovery.projects) {
    const wanted = project.files.filter((f) => plan.targets.has(f.path));
    if (wanted.length === 0) continue;
    progress({ phase: 'extract', done, total: plan.targets.size, project: project.name });
    extractions.push(...extractProject(project, ctx, new Set(wanted.map((f) => f.path))));
    done += wanted.length;
  }
  progress({ phase: 'write', done, total: plan.targets.size });
  const tExtract = performance.now();

  const objects: CboObject[] = extractions.flatMap((x) => x.objects);
  const relations: CboRelation[] = extractions.flatMap((x) => x.relations);
  const hashes = new Map(scan.files.map((f) => [f.path, f.contentHash]));
  const records = [...extractions.map(fileRecord), ...scan.skipped.map(skippedRecord)];
  const currentPaths = new Set(records.map((r) => r.path));
  const removedRecords = [...previous.keys()].filter((p) => !currentPaths.has(p) && !hashes.has(p));

  await db.transaction(async (tx) => {
    if (plan.mode === 'full') await store.deleteAllGraphs(tx);
    else await store.deleteFileGraphs(tx, [...plan.cleared]);
    await store.insertObjects(tx, objects, hashes);
    await store.upsertExternalModules(
      tx,
      extractions.flatMap((x) => x.externalModules),
    );
    await store.insertRelations(tx, relations);
    await store.deleteOrphanExternalModules(tx);
    await store.upsertFileRecords(tx, records);
    await store.deleteFileRecords(tx, removedRecords);
    await store.setMeta(tx, 'config_hash', configHash);
  });
  const tWrite = performance.now();

  const counts = await store.countGraph(db);
  const allRecords = await store.loadFileRecords(db);
  const callSamples: CallSample[] = extractions.flatMap((x) => x.callSamples).slice(0, MAX_CALL_SAMPLES);
  const report: IndexReport = {
    root,
    mode: plan.mode,
    startedAt: started.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    timingsMs: {
      scan: Math.round(tScan - t0),
      extract: Math.round(tExtract - tScan),
      write: Math.round(tWrite - tExtract),
    },
    files: {
      inScope: scan.files.length,
      extracted: extractions.filter((x) => !x.parseError).length,
      unchanged: scan.files.length - plan.targets.size,
      deleted: plan.deleted.length,
      skipped: [
        ...scan.skipped,
        ...[...allRecords.values()]
          .filter((r) => r.status === 'skipped' && !scan.skipped.some((s) => s.path === r.path))
          .map((r) => ({ path: r.path, reason: r.reason ?? 'skipped' })),
      ].sort((a, b) => (a.path < b.path ? -1 : 1)),
    },
    projects: discovery.projects.map((p) => ({ name: p.name, files: p.files.length })),
    configErrors: discovery.configErrors,
    objects: counts.objects,
    relations: counts.relations,
    calls: totalCalls(allRecords.values()),
    callSamples,
    unresolvedImports: extractions.flatMap((x) =>
      x.unresolvedImports.map((spec) => ({ path: x.file.path, specifier: spec })),
    ),
  };
  await store.insertIndexRun(db, { startedAt: started, mode: plan.mode, report });
  recordIndexRun(report);
  const log = options.logger;
  if (log) {
    for (const s of report.files.skipped) log.info({ path: s.path, reason: s.reason }, 'file skipped');
    for (const e of report.configErrors) log.warn({ path: e.path, reason: e.reason }, 'tsconfig problem');
    log.info(
      {
        mode: report.mode,
        durationMs: report.durationMs,
        files: { ...report.files, skipped: report.files.skipped.length },
        objects: report.objects,
        relations: report.relations,
        calls: report.calls,
      },
      'index run finished',
    );
  }
  progress({ phase: 'done', done, total: plan.targets.size });
  return report;
}
