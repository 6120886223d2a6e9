import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  countJobEvents,
  createJobs,
  DLQ_REASONS,
  type DlqReason,
  isDlqReason,
  selectDeadJobs,
} from '../jobs/index.ts';
import { type CliContext, withDb } from './context.ts';
import { parseDuration } from './llm-commands.ts';

function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

function reason(value: string): DlqReason {
  if (!isDlqReason(value)) throw new InvalidArgumentError(`must be one of ${DLQ_REASONS.join(', ')}`);
  return value;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** `cogo jobs dead`, `cogo jobs redrive` and `cogo jobs counts`: the DLQ and the durable job counters. */
export function addJobsCommands(program: Command, ctx: CliContext, repo: () => string): void {
  const jobs = program.command('jobs').description('the job queue: dead-letter redrive and counters');

  jobs
    .command('redrive')
    .description('send dead jobs back to their queue as new runs, oldest first')
    .addOption(
      new Option('--reason <code>', `only jobs dead for this reason (${DLQ_REASONS.join(', ')})`).argParser(
        reason,
      ),
    )
    .option('--queue <type>', 'only jobs of this type (queue)')
    .option('--limit <n>', 'at most this many', positive, 1000)
    .option('--json', 'print the redriven job ids as JSON')
    .action(async (opts: { reason?: DlqReason; queue?: string; limit: number; json?: boolean }) => {
      await withDb(ctx, repo(), async (db) => {
        const system = await createJobs({ db, logger: ctx.logger });
        try {
          const redriven = await system.redrive({
            reason: opts.reason,
            queue: opts.queue,
            limit: opts.limit,
          });
          if (opts.json) write(ctx.stdout, JSON.stringify({ redriven }));
          else {
            const filter = [opts.reason, opts.queue].filter(Boolean).join(', ');
            write(ctx.stdout, `redrove ${redriven.length} dead job(s)${filter ? ` (${filter})` : ''}`);
            for (const id of redriven) write(ctx.stdout, `  ${id}`);
          }
        } finally {
          await system.stop();
        }
      });
    });

  jobs
    .command('dead')
    .description('list the dead-letter queue, oldest first')
    .addOption(new Option('--reason <code>', 'only jobs dead for this reason').argParser(reason))
    .option('--queue <type>', 'only jobs of this type (queue)')
    .option('--limit <n>', 'at most this many', positive, 100)
    .option('--json', 'print JSON lines, one job per line')
    .action(async (opts: { reason?: DlqReason; queue?: string; limit: number; json?: boolean }) => {
      await withDb(ctx, repo(), async (db) => {
        const dead = await selectDeadJobs(db, opts);
        if (opts.json) {
          for (const d of dead) write(ctx.stdout, JSON.stringify(d));
          return;
        }
        if (dead.length === 0) write(ctx.stdout, 'no dead jobs');
        for (const d of dead)
          write(
            ctx.stdout,
            `${d.id}  ${d.queue}  ${d.reason}  attempt ${d.attempt}  since ${d.deadSince.toISOString()}  ${d.lastError ?? ''}`,
          );
      });
    });

  jobs
    .command('counts')
    .description('claims, conflicts, retries and DLQ entries recorded by every process')
    .option('--since <duration>', 'only the last 30m, 24h, 7d ...', parseDuration)
    .option('--queue <type>', 'only jobs of this type (queue)')
    .option('--json', 'print JSON')
    .action(async (opts: { since?: number; queue?: string; json?: boolean }) => {
      await withDb(ctx, repo(), async (db) => {
        const from = opts.since === undefined ? undefined : new Date(Date.now() - opts.since);
        const counts = await countJobEvents(db, { from, queue: opts.queue });
        if (opts.json) write(ctx.stdout, JSON.stringify(counts));
        else
          write(
            ctx.stdout,
            `claims ${counts.claims}  conflicts ${counts.conflicts}  retries ${counts.retries}  dlq ${counts.dlq}`,
          );
      });
    });
}
