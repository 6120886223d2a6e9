import { resolve } from 'node:path';
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { formatAnswer } from '../chat/index.ts';
import {
  type Db,
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
import { createKeyVault, createRouter, parseMasterKey } from '../llm/index.ts';
import { collectProcessMetrics } from '../metrics/index.ts';
import {
  computeChunkCoverage,
  createEmbedder,
  DEFAULT_FUSION,
  FUSION_MODES,
  type FusionMode,
  formatSearchIndexReport,
  formatSearchResult,
  indexSearch,
  searchCode,
  warmVectorScan,
} from '../search/index.ts';
import { createGatewayApp, startGateway } from '../services/gateway/index.ts';
import { addChatCommands, chatServiceFor } from './chat-commands.ts';
import { type CliContext, openMigratedDb, withDb } from './context.ts';
import { addIndexRoles, enqueueIndex, type IndexCommandOptions } from './index-roles.ts';
import { addJobsCommands } from './jobs-commands.ts';
import { addLlmCommands } from './llm-commands.ts';
import { addRoleCommands, chatJobsFor, queueDispatcher } from './role-commands.ts';
import { addUpCommand } from './up-command.ts';

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

const DEMO_SEARCHES = ['parse tsconfig projects', 'loadConfig'] as const;
const DEMO_QUESTIONS = ['Who calls loadConfig?', 'What does indexRepository return?'] as const;

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
    .description(
      'index a repository: the knowledge graph, then search chunks and embeddings (incremental unless --full)',
    )
    .option('--full', 'rebuild the whole graph')
    .option('--no-search', 'skip the search index (chunks and embeddings)')
    .option('--json', 'print the run reports as JSON')
    .option('--enqueue', 'record an index request for `cogo orchestrator` instead of indexing here')
    .option('--request-id <id>', 'with --enqueue: the request id (the same id twice is one request)')
    .option('--wait', 'with --enqueue: wait until the request has finished')
    .action(async (path: string | undefined, opts: IndexCommandOptions) => {
      const root = path ? resolve(ctx.cwd, path) : repo();
      if (opts.enqueue) return enqueueIndex(ctx, root, opts);
      const { graph, search } = await withDb(ctx, root, (db) =>
        indexAll(ctx, db, root, opts.full === true, opts.search),
      );
      if (opts.json) write(ctx.stdout, JSON.stringify({ graph, search }, null, 2));
      else
        write(
          ctx.stdout,
          [formatIndexReport(graph), ...(search ? [formatSearchIndexReport(search)] : [])].join('\n'),
        );
    });

  program
    .command('search <query>')
    .description('hybrid code search: keyword, symbol name, vectors and the graph, fused')
    .option('--lang <list>', 'languages, comma separated (default ts,py; add md for docs)')
    .option('--kind <list>', 'object kinds, comma separated (function, method, class, ...)')
    .option('--path <glob>', 'only paths matching this glob')
    .option(
      '--tag <tag>',
      'only hits with this tag (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [],
    )
    .option('--limit <n>', 'hits to show', int, 10)
    .addOption(
      new Option('--fusion <mode>', 'how signals combine').choices(FUSION_MODES).default(DEFAULT_FUSION),
    )
    .option('--json', 'print JSON')
    .action(
      async (
        query: string,
        opts: {
          lang?: string;
          kind?: string;
          path?: string;
          tag: string[];
          limit: number;
          fusion: FusionMode;
          json?: boolean;
        },
      ) => {
        const list = (v: string | undefined) =>
          v
            ?.split(',')
            .map((x) => x.trim())
            .filter(Boolean);
        const result = await withDb(ctx, repo(), (d) =>
          searchCode(d, query, {
            embedder: createEmbedder(ctx.config.embedding),
            limit: opts.limit,
            ...(opts.lang ? { languages: list(opts.lang) } : {}),
            ...(opts.kind ? { kinds: list(opts.kind) } : {}),
            ...(opts.path ? { path: opts.path } : {}),
            tags: opts.tag,
            fusion: opts.fusion,
            vectorMemoryBytes: ctx.config.search.vectorMemoryBytes,
          }),
        );
        write(ctx.stdout, opts.json ? JSON.stringify(result, null, 2) : formatSearchResult(result));
      },
    );

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
      const root = repo();
      const report = await withDb(ctx, root, (d) =>
        computeCoverage(d, { root, chunkLines: computeChunkCoverage }),
      );
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
    .command('gateway')
    .description(
      'serve the HTTP API (GET /api/search/code, POST /api/router-select, /api/key-vault, /healthz, /metrics)',
    )
    .option('--port <n>', 'port (default GATEWAY_PORT)', int)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .action(async (opts: { port?: number; host: string }) => {
      collectProcessMetrics();
      const d = await openMigratedDb(ctx, repo());
      const { verifyJwt, jwtSecret } = ctx.config.auth;
      // router-select and key-vault need JWT settings: a secret, or development mode said outright.
      const auth = !verifyJwt ? { verifyJwt } : jwtSecret ? { verifyJwt, jwtSecret } : undefined;
      if (!auth)
        ctx.logger.warn(
          'router-select and key-vault are off: set SUPABASE_JWT_SECRET (or VERIFY_JWT=false in development)',
        );
      const masterKey = ctx.config.llm.vaultMasterKey;
      // CHAT_EXECUTION=queue: answers are chat.answer jobs for `cogo worker chat`, streamed back over NOTIFY.
      const chatJobs = ctx.config.chat.execution === 'queue' ? await chatJobsFor(ctx, d) : undefined;
      const embedder = createEmbedder(ctx.config.embedding);
      const memoryBytes = ctx.config.search.vectorMemoryBytes;
      // Without pgvector, load the vectors now rather than in the first search.
      void warmVectorScan(d, { model: embedder.model, dimension: embedder.dimension, memoryBytes }).then(
        (s) => s.state !== 'none' && ctx.logger.info({ vectorScan: s }, 'vector scan loaded'),
        (error: unknown) => ctx.logger.warn({ err: error }, 'vector scan not loaded ahead of searches'),
      );
      const app = createGatewayApp({
        db: d,
        embedder,
        vectorMemoryBytes: memoryBytes,
        logger: ctx.logger,
        router: createRouter({ db: d, ...ctx.config.llm }),
        ...(masterKey ? { vault: createKeyVault(d, { masterKey: parseMasterKey(masterKey) }) } : {}),
        ...(auth ? { auth } : {}),
        chat: await chatServiceFor(ctx, d, repo(), 'gateway'),
        ...(chatJobs ? { dispatchChat: queueDispatcher(chatJobs) } : {}),
        indexRoot: repo(),
      });
      const gateway = await startGateway({ app, port: opts.port ?? ctx.config.gatewayPort, host: opts.host });
      write(ctx.stdout, `cogo gateway listening on http://${gateway.host}:${gateway.port}`);
      await new Promise<void>((done) => {
        const stop = () => {
          void gateway
            .close()
            .then(() => chatJobs?.jobs.stop())
            .then(() => d.close())
            .then(done);
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    });

  addLlmCommands(program, ctx, repo);
  addChatCommands(program, ctx, repo);
  addIndexRoles(program, addRoleCommands(program, ctx, repo), ctx, repo);
  addJobsCommands(program, ctx, repo);
  addUpCommand(program, ctx, repo);

  program
    .command('demo [path]')
    .description("cogo's main job on the embedded default: index a repository, then show what it found")
    .action(async (path: string | undefined) => {
      const root = path ? resolve(ctx.cwd, path) : repo();
      await withDb(ctx, root, async (d) => {
        const { graph, search } = await indexAll(ctx, d, root, false, true);
        write(ctx.stdout, formatIndexReport(graph));
        if (search) write(ctx.stdout, formatSearchIndexReport(search));
        const coverage = await computeCoverage(d, { root, chunkLines: computeChunkCoverage });
        write(ctx.stdout, `\nCoverage:\n${formatCoverage(coverage, ctx.config.coverageMin)}`);
        for (const [query, symbol] of DEMO_QUERIES) {
          write(
            ctx.stdout,
            `\n$ cogo graph ${query} ${symbol}\n${formatGraphResult(await queryGraph(d, query, symbol))}`,
          );
        }
        const embedder = createEmbedder(ctx.config.embedding);
        for (const query of DEMO_SEARCHES) {
          const result = await searchCode(d, query, {
            embedder,
            limit: 5,
            vectorMemoryBytes: ctx.config.search.vectorMemoryBytes,
          });
          write(ctx.stdout, `\n$ cogo search ${JSON.stringify(query)}\n${formatSearchResult(result)}`);
        }
        const chat = await chatServiceFor(ctx, d, root, 'cli:demo');
        for (const question of DEMO_QUESTIONS) {
          const { answer } = await chat.ask({ question });
          const text = answer.response
            ? formatAnswer(answer.response, { answerer: answer.answerer ?? '', rounds: answer.rounds })
            : `${answer.errorCode}: ${answer.errorMessage}`;
          write(ctx.stdout, `\n$ cogo ask ${JSON.stringify(question)}\n${text}`);
        }
      });
    });

  return program;
}

/** The graph, then the search index over it. */
async function indexAll(ctx: CliContext, db: Db, root: string, full: boolean, withSearch: boolean) {
  const graph = await indexRepository(db, {
    root,
    maxFileBytes: ctx.config.maxFileBytes,
    full,
    logger: ctx.logger,
    onProgress: progressPrinter(ctx),
  });
  const search = withSearch
    ? await indexSearch(db, {
        root,
        embedder: createEmbedder(ctx.config.embedding),
        maxFileBytes: ctx.config.maxFileBytes,
      })
    : undefined;
  return { graph, search };
}
