import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { CogoError } from '../core/index.ts';
import {
  applyCatalog,
  applyPrices,
  catalogSchema,
  createKeyVault,
  createModelResolver,
  createRouter,
  parseMasterKey,
  priceFileSchema,
  probeHealth,
  spendReport,
} from '../llm/index.ts';
import { type CliContext, withDb } from './context.ts';

/** The price file `llm costs` applies unless told otherwise. */
export const DEFAULT_PRICE_FILE = 'config/llm-prices.json';

function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** `30m`, `24h`, `7d` in milliseconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(m|h|d)$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('use a number with m, h or d (30m, 24h, 7d)');
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
}

function readJson<T>(path: string, schema: { parse: (v: unknown) => T }, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CogoError('INVALID_INPUT', `cannot read the ${what} ${path}: ${(error as Error).message}`);
  }
  try {
    return schema.parse(raw);
  } catch (error) {
    throw new CogoError('INVALID_INPUT', `the ${what} ${path} is invalid: ${(error as Error).message}`);
  }
}

const usd = (x: number) => `$${x.toFixed(x < 0.01 && x > 0 ? 6 : 4)}`;

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function vaultFor(ctx: CliContext, db: Parameters<typeof createKeyVault>[0]) {
  const masterKey = ctx.config.llm.vaultMasterKey;
  if (!masterKey)
    throw new CogoError(
      'CONFIG_INVALID',
      'the key vault needs COGO_VAULT_MASTER_KEY (32 bytes, hex or base64)',
    );
  return createKeyVault(db, { masterKey: parseMasterKey(masterKey) });
}

/** `cogo llm catalog|select|health|costs|key`. */
export function addLlmCommands(program: Command, ctx: CliContext, repo: () => string): void {
  const llm = program.command('llm').description('language models: catalog, routing, health, costs and keys');
  const actor = `cli:${userInfo().username}`;

  const key = llm.command('key').description('provider API keys in the encrypted vault');
  key
    .command('put <id>')
    .description('store a key read from standard input (never from the command line)')
    .requiredOption('--expected-version <n>', '0 to create; else the current version', (v) =>
      Number.parseInt(v, 10),
    )
    .option('--expires-at <iso>', 'expiry time (ISO 8601)')
    .action(async (id: string, opts: { expectedVersion: number; expiresAt?: string }) => {
      const secret = await readStdin(ctx.stdin);
      const r = await withDb(ctx, repo(), (db) =>
        vaultFor(ctx, db).put(id, secret, {
          expectedVersion: opts.expectedVersion,
          actor,
          ...(opts.expiresAt ? { expiresAt: new Date(opts.expiresAt) } : {}),
        }),
      );
      write(ctx.stdout, `stored ${r.id} version ${r.version}`);
    });
  key
    .command('list')
    .description('key ids, versions and validity (no secrets)')
    .action(async () => {
      const keys = await withDb(ctx, repo(), (db) => vaultFor(ctx, db).list());
      write(ctx.stdout, keys.length === 0 ? 'no keys' : keys.map((k) => JSON.stringify(k)).join('\n'));
    });
  key
    .command('revoke <id>')
    .requiredOption('--expected-version <n>', 'the current version', (v) => Number.parseInt(v, 10))
    .action(async (id: string, opts: { expectedVersion: number }) => {
      await withDb(ctx, repo(), (db) =>
        vaultFor(ctx, db).revoke(id, { actor, expectedVersion: opts.expectedVersion }),
      );
      write(ctx.stdout, `revoked ${id}`);
    });

  llm
    .command('catalog <file>')
    .description('write providers, models and routing policies from a JSON catalog file')
    .action(async (file: string) => {
      const catalog = readJson(resolve(ctx.cwd, file), catalogSchema, 'catalog');
      const r = await withDb(ctx, repo(), (db) => applyCatalog(db, catalog));
      write(ctx.stdout, `applied ${r.providers} providers, ${r.models} models, ${r.policies} policies`);
    });

  llm
    .command('select <service>')
    .description('show how the router ranks deployments for a service (no call is made)')
    .option('--intended <model>', 'the deployment the request intends')
    .option('--input-tokens <n>', 'prompt size', (v) => Number.parseInt(v, 10), 1000)
    .option('--max-output-tokens <n>', 'answer size', (v) => Number.parseInt(v, 10), 1024)
    .option('--json', 'print the decision as JSON')
    .action(
      async (
        service: string,
        opts: { intended?: string; inputTokens: number; maxOutputTokens: number; json?: boolean },
      ) => {
        const rank = await withDb(ctx, repo(), (db) =>
          createRouter({ db, ...ctx.config.llm }).select(
            service,
            { inputTokens: opts.inputTokens, maxOutputTokens: opts.maxOutputTokens },
            opts.intended ? { intendedModel: opts.intended } : {},
          ),
        );
        if (opts.json) return write(ctx.stdout, JSON.stringify(rank, null, 2));
        const lines = [`score ${rank.scoreVersion}, policy version ${rank.policyVersion}`];
        if (rank.degraded) lines.push(`intended ${rank.intendedModelId} degraded (${rank.degraded.reason})`);
        for (const c of rank.candidates)
          lines.push(
            c.filtered
              ? `  -      ${c.modelId}  filtered: ${c.filtered}`
              : `  ${String(rank.chain.indexOf(c.modelId) + 1).padStart(2)}. ${c.score!.toFixed(3).padStart(7)} ${c.modelId}  (${c.health})`,
          );
        write(ctx.stdout, lines.join('\n'));
      },
    );

  llm
    .command('health')
    .description('probe every enabled deployment once and update provider_health')
    .option('--timeout <ms>', 'deadline per probe', (v) => Number.parseInt(v, 10), 20_000)
    .option('--json', 'print the probes as JSON')
    .action(async (opts: { timeout: number; json?: boolean }) => {
      const results = await withDb(ctx, repo(), async (db) => {
        const vault = ctx.config.llm.vaultMasterKey ? vaultFor(ctx, db) : undefined;
        const resolveModel = createModelResolver({ db, ...(vault ? { vault } : {}), actor });
        return probeHealth(db, resolveModel, { timeoutMs: opts.timeout });
      });
      if (opts.json) return write(ctx.stdout, JSON.stringify(results, null, 2));
      write(
        ctx.stdout,
        results.length === 0
          ? 'no enabled deployments (add some with: cogo llm catalog <file>)'
          : results
              .map(
                (r) =>
                  `${r.outcome === 'ok' ? 'ok  ' : 'FAIL'} ${r.modelId}  ${Math.round(r.latencyMs)} ms${r.errorCode ? `  ${r.errorCode}` : ''}`,
              )
              .join('\n'),
      );
    });

  llm
    .command('costs')
    .description('set model prices from a versioned price file, then print spend by model and service')
    .option('--prices <file>', 'price file (USD per million tokens)', DEFAULT_PRICE_FILE)
    .option('--no-prices', 'only print spend')
    .option('--since <duration>', 'window to report (30m, 24h, 7d)', parseDuration, 86_400_000)
    .option('--json', 'print the report as JSON')
    .action(async (opts: { prices: string | false; since: number; json?: boolean }) => {
      const prices = opts.prices
        ? readJson(resolve(ctx.cwd, opts.prices), priceFileSchema, 'price file')
        : undefined;
      const to = new Date();
      const from = new Date(to.getTime() - opts.since);
      const report = await withDb(ctx, repo(), async (db) => ({
        prices: prices ? await applyPrices(db, prices) : null,
        window: { from: from.toISOString(), to: to.toISOString() },
        spend: await spendReport(db, { from, to }),
      }));
      if (opts.json) return write(ctx.stdout, JSON.stringify(report, null, 2));
      const lines: string[] = [];
      if (report.prices) {
        lines.push(`prices ${report.prices.version}: ${report.prices.updated.length} models updated`);
        if (report.prices.unknown.length > 0)
          lines.push(`  not in the catalog: ${report.prices.unknown.join(', ')}`);
        if (report.prices.unpriced.length > 0)
          lines.push(`  no price in the file: ${report.prices.unpriced.join(', ')}`);
      }
      lines.push(`spend ${report.window.from} .. ${report.window.to}`);
      if (report.spend.length === 0) lines.push('  no calls');
      for (const s of report.spend)
        lines.push(
          `  ${s.service.padEnd(12)} ${s.modelId.padEnd(40)} ${String(s.calls).padStart(6)} calls ${String(s.failed).padStart(4)} failed ${String(s.tokensIn).padStart(9)} in ${String(s.tokensOut).padStart(9)} out ${usd(s.costUsd).padStart(12)}`,
        );
      const total = report.spend.reduce((a, s) => a + s.costUsd, 0);
      lines.push(`  total ${usd(total)}`);
      write(ctx.stdout, lines.join('\n'));
    });
}
