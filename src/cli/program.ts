import { resolve } from 'node:path';
import { Argument, Command, InvalidArgumentError } from 'commander';
import {
  DEFAULT_MIGRATIONS_DIR,
  loadMigrations,
  migrate,
  migrationStatus,
  openDb,
  rollback,
} from '../db/index.ts';
import {
  checkCoverageGate,
  computeCoverage,
  exportGraph,
  formatCoverage,
  formatGraphResult,
  formatIndexReport,
  GRAPH_QUERIES,
  type GraphQuery,
  indexRepository,
  type ProgressEvent,
  queryGraph,
} from '../kg/index.ts';
import { type CliContext, withDb } from './context.ts';

function int(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

function progressPrinter(ctx: CliContext): ((e: ProgressEvent) => void) | undefined {
  if (!ctx.stderr.isTTY) return undefined;
  return (e) => {
    const what = e.phase === 'extract' ? `extract ${e.done}/${e.total} files (${e.project})` : e.phase;
    ctx.stderr.write(e.phase === 'done' ? '\r\x1b[K' : `\r\x1b[K[cogo] ${what}`);
  };
}

const DEMO_QUERIES: ReadonlyArray<[GraphQuery, string]> = [
  ['defs', 'indexRepository'],
  ['callees', 'indexRepository'],
  ['callers', 'loadConfig'],
  ['implementations', 'Db'],
  ['impact', 'stableId'],
];

/** Builds the `cogo` command tree. Commands only wire; the work is in the subsystems. */
export function createProgram(ctx: CliContext): Command {
  const program = new Command('cogo')
    .description(
      'Code intelligence: a knowledge graph of your TypeScript code, with search and cited answers.',
    )
    .option('--repo <dir>', 'repository root (where the embedded database lives in .cogo/)', '.')
    .showHelpAfterError()
    .exitOverride();
  const repo = () => resolve(ctx.cwd, program.opts<{ repo: string }>().repo);

  program
    .command('index [path]')
    .description('index a repository into the knowledge graph (incremental unless --full)')
    .option('--full', 'rebuild the whole graph')
    .option('--json', 'print the run report as JSON')
    .action(async (path: string | undefined, opts: { full?: boolean; json?: boolean }) => {
      const root = path ? resolve(ctx.cwd, path) : repo();
      const report = await withDb(ctx, root, (db) =>
        indexRepository(db, {
          root,
          maxFileBytes: ctx.config.maxFileBytes,
          full: opts.full === true,
          logger: ctx.logger,
          onProgress: progressPrinter(ctx),
        }),
      );
      write(ctx.stdout, opts.json ? JSON.stringify(report, null, 2) : formatIndexReport(report));
    });

  const db = program.command('db').description('database schema: migrate, rollback, status');
  const withRawDb = async <T>(fn: (d: Awaited<ReturnType<typeof openDb>>) => Promise<T>): Promise<T> => {
    const d = await openDb({
      databaseUrl: ctx.config.databaseUrl,
      dataDir: ctx.config.dataDir,
      repoRoot: repo(),
    });
    try {
      return await fn(d);
    } finally {
      await d.close();
    }
  };
  db.command('migrate')
    .option('--to <n>', 'stop after this migration number', int)
    .action(async (opts: { to?: number }) => {
      const report = await withRawDb((d) => migrate(d, loadMigrations(DEFAULT_MIGRATIONS_DIR), opts.to));
      for (const r of report.results)
        write(
          ctx.stdout,
          `${r.ok ? 'applied' : 'FAILED '} ${r.id}_${r.name}${r.error ? `: ${r.error}` : ''}`,
        );
      if (report.results.length === 0) write(ctx.stdout, 'schema is current');
      if (!report.ok) process.exitCode = 1;
    });
  db.command('rollback')
    .option('--steps <n>', 'how many migrations to roll back', int, 1)
    .action(async (opts: { steps: number }) => {
      const report = await withRawDb((d) => rollback(d, loadMigrations(DEFAULT_MIGRATIONS_DIR), opts.steps));
      for (const r of report.results)
        write(
          ctx.stdout,
          `${r.ok ? 'rolled back' : 'FAILED'} ${r.id}_${r.name}${r.error ? `: ${r.error}` : ''}`,
        );
      if (report.results.length === 0) write(ctx.stdout, 'nothing to roll back');
      if (!report.ok) process.exitCode = 1;
    });
  db.command('status').action(async () => {
    const status = await withRawDb((d) => migrationStatus(d, loadMigrations(DEFAULT_MIGRATIONS_DIR)));
    for (const s of status)
      write(
        ctx.stdout,
        `${String(s.id).padStart(5, '0')}_${s.name}  ${s.state}${s.appliedAt ? `  ${s.appliedAt.toISOString()}` : ''}`,
      );
  });

  program
    .command('coverage')
    .description('KG coverage: params, returns, fields, lines (docs/specs/KG_SCOPE_V1.md)')
    .option('--gate', 'exit non-zero when a figure is below its threshold')
    .option('--json', 'print JSON')
    .action(async (opts: { gate?: boolean; json?: boolean }) => {
      const report = await withDb(ctx, repo(), computeCoverage);
      const gate = checkCoverageGate(report, ctx.config.coverageMin);
      write(
        ctx.stdout,
        opts.json
          ? JSON.stringify({ coverage: report, thresholds: ctx.config.coverageMin, gate }, null, 2)
          : formatCoverage(report, ctx.config.coverageMin),
      );
      if (opts.gate && !gate.ok) process.exitCode = 1;
    });

  program
    .command('graph')
    .description(`graph queries: ${GRAPH_QUERIES.join(', ')}`)
    .addArgument(new Argument('<query>', 'what to ask').choices(GRAPH_QUERIES))
    .argument('<symbol>', 'a name, a qualified name (Class.method) or a module path')
    .option('--depth <n>', 'hops to follow', int)
    .option('--json', 'print JSON')
    .action(async (query: GraphQuery, symbol: string, opts: { depth?: number; json?: boolean }) => {
      const result = await withDb(ctx, repo(), (d) => queryGraph(d, query, symbol, opts.depth));
      write(ctx.stdout, opts.json ? JSON.stringify(result, null, 2) : formatGraphResult(result));
      if (result.targets.length === 0) process.exitCode = 1;
    });

  program
    .command('export <dir>')
    .description('write objects.jsonl and relations.jsonl (CBO v3)')
    .action(async (dir: string) => {
      const result = await withDb(ctx, repo(), (d) => exportGraph(d, resolve(ctx.cwd, dir)));
      write(
        ctx.stdout,
        `wrote ${result.objects} objects to ${result.objectsFile}\nwrote ${result.relations} relations to ${result.relationsFile}`,
      );
    });

  program
    .command('demo [path]')
    .description("cogo's main job on the embedded default: index a repository, then show what it found")
    .action(async (path: string | undefined) => {
      const root = path ? resolve(ctx.cwd, path) : repo();
      await withDb(ctx, root, async (d) => {
        const report = await indexRepository(d, {
          root,
          maxFileBytes: ctx.config.maxFileBytes,
          onProgress: progressPrinter(ctx),
        });
        write(ctx.stdout, formatIndexReport(report));
        write(ctx.stdout, `\nCoverage:\n${formatCoverage(await computeCoverage(d), ctx.config.coverageMin)}`);
        for (const [query, symbol] of DEMO_QUERIES) {
          write(
            ctx.stdout,
            `\n$ cogo graph ${query} ${symbol}\n${formatGraphResult(await queryGraph(d, query, symbol))}`,
          );
        }
      });
    });

  return program;
}
