/**
 * bench:chat — issue 5's "Tested and measured", on this repository:
 *   1. the built-in answerer on bench/chat/questions.json (questions about cogo's own sources, the
 *      expected files written by reading the code): share answered correctly with valid citations,
 *      share correctly declined, wrong answers, wrong declines
 *   2. latency per question in the embedded mode (PGlite in-process, local embedder)
 *   3. time to first token added by cogo on the LLM path, against the local wire-protocol server
 *      (test/helpers/llm-server.ts; hosted APIs cannot run here), minus the provider's own
 * The corpus is the commit the questions were written against (`commit` in questions.json, or
 * BENCH_CHAT_COMMIT), exported with `git archive` into bench/.work/chat/, so edits in the working
 * tree do not move the answers; the code under test is the working tree's src/.
 * BENCH_CHAT_QUESTIONS runs another set (questions-unseen.json, or the bare-array layout of
 * questions-heldout.json) and writes <set>.results.json beside it, without the LLM part.
 * Writes bench/chat/results.json and prints the tables for BENCHMARKS.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AskOutcome, askRag, createBuiltinAnswerer } from '../../src/chat/index.ts';
import {
  createPgliteDb,
  type Db,
  DEFAULT_MIGRATIONS_DIR,
  loadMigrations,
  migrate,
} from '../../src/db/index.ts';
import { indexRepository } from '../../src/kg/index.ts';
import { createLocalEmbedder, type Embedder, indexSearch } from '../../src/search/index.ts';
import { loadavg, REPO, revision } from '../common.ts';
import {
  checkExpectations,
  citationExists,
  loadQuestions,
  QUESTION_TYPES,
  type Question,
  supports,
  VERDICTS,
  type Verdict,
  verdictOf,
} from './questions.ts';
import { stats } from './stats.ts';
import { STREAM_MODES, ttftRun } from './ttft.ts';

const log = (m: string) => process.stderr.write(`[bench:chat] ${m}\n`);
const WORK = join(REPO, 'bench', '.work', 'chat');
const PASSES = Number(process.env.BENCH_CHAT_PASSES ?? 3);
const ONLY = process.env.BENCH_CHAT_ONLY; // comma-separated question ids, for a quick look
// Another question set (same format), e.g. the held-out one; its results go beside it, and the TTFT
// part (which needs only the main set) is skipped.
const QUESTIONS_FILE = process.env.BENCH_CHAT_QUESTIONS ?? join(REPO, 'bench', 'chat', 'questions.json');
const MAIN_SET = !process.env.BENCH_CHAT_QUESTIONS;
const RESULTS_FILE = MAIN_SET
  ? join(REPO, 'bench', 'chat', 'results.json')
  : QUESTIONS_FILE.replace(/(\.json)?$/, '.results.json');

// ---------------------------------------------------------------------------------------------
// The corpus and its index

/** The tracked files at `commit`, with the repository's node_modules linked in (types resolve as in a checkout). */
function exportCorpus(commit: string): string {
  const dir = join(WORK, `repo-${commit.slice(0, 12)}`);
  if (existsSync(join(dir, 'package.json'))) return dir;
  mkdirSync(dir, { recursive: true });
  const archive = spawnSync('git', ['-C', REPO, 'archive', commit], { maxBuffer: 1 << 30 });
  if (archive.status !== 0) throw new Error(`git archive ${commit}: ${archive.stderr}`);
  const untar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
  if (untar.status !== 0) throw new Error(`tar: ${untar.stderr}`);
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

async function buildIndex(root: string) {
  const dataDir = join(WORK, 'db');
  rmSync(dataDir, { recursive: true, force: true });
  const db = await createPgliteDb({ dataDir });
  const m = await migrate(db, loadMigrations(DEFAULT_MIGRATIONS_DIR));
  if (!m.ok) throw new Error('migration failed');
  const embedder = createLocalEmbedder();
  let t0 = performance.now();
  const kg = await indexRepository(db, { root, maxFileBytes: 1_000_000, full: true });
  const kgMs = performance.now() - t0;
  t0 = performance.now();
  const search = await indexSearch(db, { root, embedder, maxFileBytes: 1_000_000 });
  const searchMs = performance.now() - t0;
  return {
    db,
    embedder,
    report: {
      indexRepositoryMs: Math.round(kgMs),
      indexSearchMs: Math.round(searchMs),
      filesInScope: kg.files.inScope,
      filesExtracted: kg.files.extracted,
      filesSkipped: kg.files.skipped.length,
      objects: kg.objects,
      relations: kg.relations,
      calls: kg.calls,
      chunks: search.files.chunked,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// 1-2. The built-in answerer: verdicts and latency

async function builtinRun(db: Db, root: string, embedder: Embedder, qs: readonly Question[]) {
  const answerer = createBuiltinAnswerer();
  const ask = (question: string) => askRag({ db, root, answerer, embedder }, { question });
  // Warm-up: compiled statements, the embedder, the file reader; not part of the set.
  for (const w of ['Where is indexRepository defined?', 'Who calls searchCode?', 'How are chunks embedded?'])
    await ask(w);
  const perQuestion = new Map<string, { outcome: AskOutcome; ms: number[]; evidenceMs: number[] }>();
  for (let pass = 0; pass < PASSES; pass++) {
    log(`built-in answerer, pass ${pass + 1}/${PASSES}`);
    for (const q of qs) {
      const t0 = performance.now();
      const outcome = await ask(q.question);
      const ms = performance.now() - t0;
      const entry = perQuestion.get(q.id);
      if (!entry) perQuestion.set(q.id, { outcome, ms: [ms], evidenceMs: [outcome.evidenceMs] });
      else {
        if (entry.outcome.response.status !== outcome.response.status)
          throw new Error(`${q.id}: status changed between passes`);
        entry.ms.push(ms);
        entry.evidenceMs.push(outcome.evidenceMs);
      }
    }
  }
  const rows = qs.map((q) => {
    const { outcome, ms, evidenceMs } = perQuestion.get(q.id)!;
    const r = outcome.response;
    const verdict = verdictOf(q, r);
    // What cogo acted on: the classifier's intent as evidence gathering settled it (it may turn a
    // question open when no candidate symbol resolves, or into type uses when the subject is a type).
    const classified = outcome.evidence.classified;
    const citedFiles = [...new Set(r.citations.map((c) => c.path))];
    return {
      id: q.id,
      type: q.type,
      question: q.question,
      classifiedAs: classified.intent,
      subject: classified.subject,
      status: r.status,
      verdict,
      expectedFiles: (q.files ?? []).map((f) => (f.lines ? `${f.path}:${f.lines[0]}-${f.lines[1]}` : f.path)),
      citedFiles,
      citations: r.citations.length,
      supportingCitations: r.citations.filter((c) => supports(q, c)).length,
      // Secondary, not scored: the answer's text names at least one symbol a full answer names.
      namesExpectedSymbol: (q.symbols ?? []).some((s) => r.answer.includes(s)),
      citationsMissingInCorpus: r.citations.filter((c) => !citationExists(root, c)).length,
      removedCitations: outcome.removed.length,
      rounds: outcome.rounds,
      evidenceItems: outcome.evidence.items.length,
      subjectsFound: outcome.evidence.subjects.map((s) => s.qualified_name),
      uncoveredWords: outcome.evidence.uncoveredWords,
      ms: ms.map((x) => Math.round(x * 10) / 10),
      evidenceMs: evidenceMs.map((x) => Math.round(x * 10) / 10),
      answer: r.answer,
    };
  });
  return rows;
}

function summarise(rows: Awaited<ReturnType<typeof builtinRun>>) {
  const count = (pred: (r: (typeof rows)[number]) => boolean) => rows.filter(pred).length;
  const answerable = rows.filter((r) => r.type !== 'decline');
  const declines = rows.filter((r) => r.type === 'decline');
  const byType = QUESTION_TYPES.map((type) => {
    const of = rows.filter((r) => r.type === type);
    const v = (x: Verdict) => of.filter((r) => r.verdict === x).length;
    return {
      type,
      n: of.length,
      correct: v('correct') + v('correct_decline'),
      wrongAnswer: v('wrong_answer'),
      wrongDecline: v('wrong_decline'),
      partialOnly: v('partial_only'),
      classifiedAsType: of.filter((r) => r.classifiedAs === (type === 'decline' ? 'open' : type)).length,
      ms: stats(of.flatMap((r) => r.ms)),
    };
  }).filter((t) => t.n > 0);
  const all = rows.flatMap((r) => r.ms);
  // Structural questions by whether cogo's classifier recognised their form (then the graph answers).
  const structural = rows.filter((r) => r.type !== 'open' && r.type !== 'decline');
  const verdicts = (of: typeof rows) =>
    Object.fromEntries(
      VERDICTS.map((v) => [v, of.filter((r) => r.verdict === v).length]).filter(([, n]) => n),
    );
  const recognised = structural.filter((r) => r.classifiedAs === r.type);
  const unrecognised = structural.filter((r) => r.classifiedAs !== r.type);
  return {
    questions: rows.length,
    answerable: answerable.length,
    mustDecline: declines.length,
    answeredCorrectly: count((r) => r.verdict === 'correct'),
    answeredCorrectlyShare:
      Math.round((count((r) => r.verdict === 'correct') / answerable.length) * 1000) / 1000,
    correctlyDeclined: count((r) => r.verdict === 'correct_decline'),
    correctlyDeclinedShare:
      Math.round((count((r) => r.verdict === 'correct_decline') / Math.max(1, declines.length)) * 1000) /
      1000,
    wrongAnswers: count((r) => r.verdict === 'wrong_answer'),
    wrongAnswersOnDeclineQuestions: count((r) => r.type === 'decline' && r.verdict === 'wrong_answer'),
    wrongDeclines: count((r) => r.verdict === 'wrong_decline'),
    partialOnly: count((r) => r.verdict === 'partial_only'),
    correctAndNamesExpectedSymbol: count((r) => r.verdict === 'correct' && r.namesExpectedSymbol),
    citationsMissingInCorpus: rows.reduce((a, r) => a + r.citationsMissingInCorpus, 0),
    removedCitations: rows.reduce((a, r) => a + r.removedCitations, 0),
    latencyMs: stats(all),
    evidenceMs: stats(rows.flatMap((r) => r.evidenceMs)),
    latencyByStatus: Object.fromEntries(
      (['answered', 'partial', 'cannot_answer'] as const).map((s) => [
        s,
        stats(rows.filter((r) => r.status === s).flatMap((r) => r.ms)),
      ]),
    ),
    structural: {
      n: structural.length,
      recognised: {
        n: recognised.length,
        verdicts: verdicts(recognised),
        ms: stats(recognised.flatMap((r) => r.ms)),
      },
      unrecognised: {
        n: unrecognised.length,
        verdicts: verdicts(unrecognised),
        ms: stats(unrecognised.flatMap((r) => r.ms)),
      },
    },
    byType,
  };
}

// ---------------------------------------------------------------------------------------------
// 3. Time to first token on the LLM path

// ---------------------------------------------------------------------------------------------

const started = performance.now();
const loadBefore = loadavg();
const set = loadQuestions(QUESTIONS_FILE, REPO);
const commit = process.env.BENCH_CHAT_COMMIT ?? set.commit;
const questions = ONLY ? set.questions.filter((q) => ONLY.split(',').includes(q.id)) : set.questions;
log(`corpus: git archive ${commit}`);
const root = exportCorpus(commit);
checkExpectations(root, questions);
log('indexing (indexRepository + indexSearch, local embedder, PGlite data dir)');
const { db, embedder, report: index } = await buildIndex(root);
log(`indexed in ${index.indexRepositoryMs} + ${index.indexSearchMs} ms`);
const rows = await builtinRun(db, root, embedder, questions);
const summary = summarise(rows);
if (MAIN_SET) log('time to first token (LLM answerer, local server)');
const ttft: Record<string, Awaited<ReturnType<typeof ttftRun>>> = {};
for (const mode of MAIN_SET ? STREAM_MODES : []) {
  log(`  ${mode}`);
  ttft[mode] = await ttftRun(db, root, embedder, questions, mode);
}
await db.close();
const results = {
  revision: revision(),
  corpusCommit: commit,
  node: process.version,
  load: { before: loadBefore, after: loadavg() },
  wallS: Math.round((performance.now() - started) / 1000),
  passes: PASSES,
  index,
  builtin: summary,
  ttft,
  questionSet: QUESTIONS_FILE.replace(`${REPO}/`, ''),
  questions: rows,
};
writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);

const table = (head: string[], body: Array<Array<string | number>>) =>
  [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...body.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
process.stdout.write(
  [
    `revision ${results.revision}, corpus ${commit.slice(0, 7)}, load ${loadBefore.join(' / ')} -> ${results.load.after.join(' / ')}, ${results.wallS} s`,
    '',
    table(
      ['id', 'type', 'classified', 'status', 'verdict', 'cited files', 'ms p50'],
      rows.map((r) => [
        r.id,
        r.type,
        r.classifiedAs,
        r.status,
        r.verdict,
        r.citedFiles.slice(0, 3).join(', '),
        stats(r.ms).p50,
      ]),
    ),
    '',
    table(
      [
        'type',
        'n',
        'correct',
        'wrong answer',
        'wrong decline',
        'partial only (right file)',
        'classified as its type',
        'p50 ms',
        'p95 ms',
      ],
      summary.byType.map((t) => [
        t.type,
        t.n,
        t.correct,
        t.wrongAnswer,
        t.wrongDecline,
        t.partialOnly,
        t.classifiedAsType,
        t.ms.p50,
        t.ms.p95,
      ]),
    ),
    '',
    JSON.stringify({ ...summary, byType: undefined }, null, 2),
    '',
    ...Object.values(ttft).map((t) => JSON.stringify({ ...t, rows: undefined }, null, 2)),
    '',
  ].join('\n'),
);
