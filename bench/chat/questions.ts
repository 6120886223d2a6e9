/** The question sets of bench:chat: their two layouts, the checks on them, and the verdict of one answer. */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LlmResponse, QUESTION_INTENTS } from '../../src/chat/index.ts';

// The chat's intents, and questions it must decline.
export const QUESTION_TYPES = [...QUESTION_INTENTS, 'decline'] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];

export interface Expected {
  readonly path: string;
  /** Lines a citation must overlap, when the answer is one place (a definition). */
  readonly lines?: readonly [number, number];
}

export interface Question {
  readonly id: string;
  readonly question: string;
  readonly type: QuestionType;
  /** What a correct answer is about (for the reader and the report; not scored). */
  readonly symbols?: readonly string[];
  /** A correct answer cites at least one of these. */
  readonly files?: readonly Expected[];
  /** The declaration the question is about: for relation questions, citing all of it proves nothing. */
  readonly subject?: Expected;
  readonly expect?: 'decline';
  /** How the expected answer was found in the code. */
  readonly note?: string;
}

export interface QuestionSet {
  readonly commit: string;
  readonly questions: readonly Question[];
}

export const VERDICTS = [
  'correct',
  'correct_decline',
  'wrong_answer',
  'wrong_decline',
  'partial_only',
] as const;
export type Verdict = (typeof VERDICTS)[number];

/** The other layout (bench/chat/questions-heldout.json): a bare array, expected files as `path:a-b`. */
interface FlatQuestion {
  readonly id: string;
  readonly type: QuestionType;
  readonly question: string;
  readonly expectedFiles?: readonly string[];
  readonly expectedSymbols?: readonly string[];
  readonly expect?: 'decline';
  readonly note?: string;
}

function fromFlat(flat: readonly FlatQuestion[], repo: string): QuestionSet {
  const file = (f: string): Expected => {
    const m = /^(.*):(\d+)-(\d+)$/.exec(f);
    return m ? { path: m[1]!, lines: [Number(m[2]), Number(m[3])] } : { path: f };
  };
  // No commit recorded: the corpus is HEAD unless BENCH_CHAT_COMMIT names one.
  const head = spawnSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
  return {
    commit: head,
    questions: flat.map((q) => ({
      id: q.id,
      type: q.type,
      question: q.question,
      ...(q.expectedSymbols ? { symbols: q.expectedSymbols } : {}),
      ...(q.expectedFiles ? { files: q.expectedFiles.map(file) } : {}),
      ...(q.type === 'decline' ? { expect: 'decline' as const } : {}),
      ...(q.note ? { note: q.note } : {}),
    })),
  };
}

/** Reads and checks a question set in either layout (`repo`: whose HEAD a bare array's corpus is). */
export function loadQuestions(file: string, repo: string): QuestionSet {
  const json = JSON.parse(readFileSync(file, 'utf8')) as QuestionSet | FlatQuestion[];
  const set = Array.isArray(json) ? fromFlat(json, repo) : json;
  const ids = new Set<string>();
  for (const q of set.questions) {
    if (ids.has(q.id)) throw new Error(`duplicate question id ${q.id}`);
    ids.add(q.id);
    if (!QUESTION_TYPES.includes(q.type)) throw new Error(`${q.id}: unknown type ${q.type}`);
    if ((q.type === 'decline') !== (q.expect === 'decline'))
      throw new Error(`${q.id}: type decline and expect "decline" go together`);
    if (q.type !== 'decline' && (q.files ?? []).length === 0) throw new Error(`${q.id}: no expected files`);
  }
  return set;
}

export /** Every expected file exists at the commit, and expected lines are inside it. */
function checkExpectations(root: string, questions: readonly Question[]): void {
  for (const q of questions)
    for (const f of q.files ?? []) {
      const file = join(root, f.path);
      if (!existsSync(file)) throw new Error(`${q.id}: ${f.path} is not in the corpus`);
      const lines = readFileSync(file, 'utf8').split('\n').length;
      if (f.lines && f.lines[1] > lines) throw new Error(`${q.id}: ${f.path} has ${lines} lines`);
    }
}

function overlaps(c: LlmResponse['citations'][number], f: Expected): boolean {
  if (c.path !== f.path) return false;
  return !f.lines || (c.start_line <= f.lines[1] && c.end_line >= f.lines[0]);
}

/** The citation exists in the corpus as cited (askRag verified it; this checks it independently). */
export function citationExists(root: string, c: LlmResponse['citations'][number]): boolean {
  const file = join(root, c.path);
  if (!existsSync(file)) return false;
  return c.end_line <= readFileSync(file, 'utf8').split('\n').length;
}

/** A citation that spans the subject's whole declaration: it names the subject, not its relations. */
function coversSubject(q: Question, c: LlmResponse['citations'][number]): boolean {
  const s = q.subject;
  return !!s?.lines && c.path === s.path && c.start_line <= s.lines[0] && c.end_line >= s.lines[1];
}

export const supports = (q: Question, c: LlmResponse['citations'][number]) =>
  !coversSubject(q, c) && (q.files ?? []).some((f) => overlaps(c, f));

export function verdictOf(q: Question, r: LlmResponse): Verdict {
  if (q.expect === 'decline') return r.status === 'cannot_answer' ? 'correct_decline' : 'wrong_answer';
  if (r.status === 'cannot_answer') return 'wrong_decline';
  const okStatus = r.status === 'answered' || (q.type === 'open' && r.status === 'partial');
  const hit = r.citations.some((c) => supports(q, c));
  if (!hit) return 'wrong_answer';
  return okStatus ? 'correct' : 'partial_only';
}
