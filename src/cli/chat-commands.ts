import { userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import {
  type AskEvent,
  type ChatService,
  createChatService,
  formatAnswer,
  selectAnswerer,
} from '../chat/index.ts';
import type { Db } from '../db/index.ts';
import { createKeyVault, createLlmClient, createModelResolver, parseMasterKey } from '../llm/index.ts';
import { createEmbedder } from '../search/index.ts';
import { type CliContext, withDb } from './context.ts';

/** The chat service for a repository, with the answerer the configuration asks for. */
export async function chatServiceFor(
  ctx: CliContext,
  db: Db,
  root: string,
  actor: string,
): Promise<ChatService> {
  const masterKey = ctx.config.llm.vaultMasterKey;
  const vault = masterKey ? createKeyVault(db, { masterKey: parseMasterKey(masterKey) }) : undefined;
  const llm =
    ctx.config.chat.answerer === 'builtin'
      ? undefined
      : createLlmClient({
          db,
          ...ctx.config.llm,
          logger: ctx.logger,
          resolveModel: createModelResolver({ db, actor, ...(vault ? { vault } : {}) }),
        });
  const answerer = await selectAnswerer({
    mode: ctx.config.chat.answerer,
    ...(llm ? { llm } : {}),
    ...(ctx.config.chat.intendedModel ? { intendedModel: ctx.config.chat.intendedModel } : {}),
  });
  return createChatService({
    db,
    root,
    answerer,
    embedder: createEmbedder(ctx.config.embedding),
    vectorMemoryBytes: ctx.config.search.vectorMemoryBytes,
    maxRounds: ctx.config.chat.maxRounds,
    budgetTokens: ctx.config.chat.evidenceTokens,
    logger: ctx.logger,
  });
}

/** Streams an answer's events to the terminal: deltas as they come, restarts said on stderr. */
function terminalPrinter(ctx: CliContext): (e: AskEvent) => void {
  return (e) => {
    if (e.type === 'delta') ctx.stdout.write(e.text);
    else if (e.type === 'restart') ctx.stderr.write(`\n[cogo] ${e.reason}\n`);
  };
}

/** `cogo ask` and `cogo chat`. */
export function addChatCommands(program: Command, ctx: CliContext, repo: () => string): void {
  const actor = `cli:${userInfo().username}`;
  program
    .command('ask <question>')
    .description('answer a question about the indexed code, with verified citations (streams the answer)')
    .option('--session <id>', 'continue a chat session')
    .option('--model <provider/model>', 'ask this model first (the router degrades when it cannot serve)')
    .option('--json', 'print the stored answer message as JSON instead of streaming text')
    .action(async (question: string, opts: { session?: string; model?: string; json?: boolean }) => {
      await withDb(ctx, repo(), async (db) => {
        const chat = await chatServiceFor(ctx, db, repo(), actor);
        const result = await chat.ask({
          question,
          ...(opts.session ? { sessionId: opts.session } : {}),
          ...(opts.model ? { intendedModel: opts.model } : {}),
          ...(opts.json ? {} : { onEvent: terminalPrinter(ctx) }),
        });
        if (opts.json) {
          ctx.stdout.write(
            `${JSON.stringify({ session: result.session, message: result.answer }, null, 2)}\n`,
          );
        } else if (result.answer.response) {
          ctx.stdout.write('\n\n');
          ctx.stdout.write(
            `${formatAnswer(result.answer.response, {
              answerer: result.answer.answerer ?? '',
              rounds: result.answer.rounds,
              withoutText: true,
            })}\n`,
          );
          ctx.stdout.write(`session ${result.session.id}\n`);
        }
        if (result.answer.status === 'failed') {
          ctx.stderr.write(`cogo ask: ${result.answer.errorCode}: ${result.answer.errorMessage}\n`);
          process.exitCode = 1;
        }
      });
    });

  program
    .command('chat')
    .description('interactive chat about the indexed code (history kept in the session; Ctrl-D ends)')
    .option('--session <id>', 'continue a chat session')
    .action(async (opts: { session?: string }) => {
      await withDb(ctx, repo(), async (db) => {
        const chat = await chatServiceFor(ctx, db, repo(), actor);
        let sessionId = opts.session ?? (await chat.createSession({ createdBy: actor })).id;
        if (opts.session) await chat.history(sessionId);
        const rl = createInterface({ input: ctx.stdin, output: ctx.stdout, terminal: false });
        ctx.stdout.write(
          `cogo chat, session ${sessionId}. Ask about the code; an empty line or Ctrl-D ends.\n> `,
        );
        for await (const line of rl) {
          const question = line.trim();
          if (question.length === 0) break;
          const result = await chat.ask({ sessionId, question, onEvent: terminalPrinter(ctx) });
          sessionId = result.session.id;
          if (result.answer.response)
            ctx.stdout.write(
              `\n\n${formatAnswer(result.answer.response, { answerer: result.answer.answerer ?? '', withoutText: true })}\n`,
            );
          else ctx.stdout.write(`\n[cogo] ${result.answer.errorCode}: ${result.answer.errorMessage}\n`);
          ctx.stdout.write('> ');
        }
        rl.close();
        ctx.stdout.write(`\nsession ${sessionId}\n`);
      });
    });
}
