/**
 * askRag: evidence, a draft, the critics, revisions while they fail (up to `maxRounds`), then
 * citation verification of the final draft — what fails is removed and said, never shown as valid.
 * docs/specs/SELF_CORRECTION_FEEDBACK_LOOP_V1.md is the contract this keeps.
 */
import type { Db } from '../db/index.ts';
import type { Embedder } from '../search/index.ts';
import type { Answerer, Draft, HistoryTurn, ModelUsage } from './answerer.ts';
import { composeBuiltinAnswer } from './builtin-answerer.ts';
import type { RejectedCitation } from './citations.ts';
import type { LlmResponse } from './contract.ts';
import { type CriticResult, runCritics } from './critics.ts';
import { type EvidenceSet, gatherEvidence } from './evidence.ts';
import { recordAnswer, recordCritics } from './metrics.ts';
import { createRepoReader } from './repo-files.ts';

export const DEFAULT_MAX_ROUNDS = 2;

export interface AskOptions {
  readonly db: Db;
  /** The indexed repository's root (evidence and citations are read from it). */
  readonly root: string;
  readonly answerer: Answerer;
  readonly embedder?: Embedder;
  readonly vectorMemoryBytes?: number;
  readonly languages?: readonly string[];
  readonly budgetTokens?: number;
  /** Revisions after the first draft while critics fail. */
  readonly maxRounds?: number;
}

export type AskEvent =
  | { readonly type: 'evidence'; readonly items: number; readonly tokens: number; readonly ms: number }
  | { readonly type: 'delta'; readonly text: string }
  /** The text so far is void: a revision (or another model) starts over. */
  | { readonly type: 'restart'; readonly reason: string }
  | { readonly type: 'critics'; readonly round: number; readonly results: readonly CriticResult[] };

export interface AskInput {
  readonly question: string;
  /** The model to ask first (`provider/model`), for an LLM answerer. */
  readonly intendedModel?: string;
  readonly history?: readonly HistoryTurn[];
  /** The user's correction of an earlier answer (feedback): the first draft already takes it in. */
  readonly correction?: { readonly previous: LlmResponse; readonly text: string };
  readonly onEvent?: (event: AskEvent) => void;
  readonly signal?: AbortSignal;
}

export interface AskOutcome {
  /** The final answer; its citations are all verified. */
  readonly response: LlmResponse;
  readonly evidence: EvidenceSet;
  readonly answerer: string;
  /** Revisions run (0: the first draft passed). */
  readonly rounds: number;
  readonly critics: ReadonlyArray<{ readonly round: number; readonly results: readonly CriticResult[] }>;
  /** Citations removed from the final answer, and why. */
  readonly removed: readonly RejectedCitation[];
  readonly usage: readonly ModelUsage[];
  readonly evidenceMs: number;
  readonly firstTokenMs: number | null;
  readonly totalMs: number;
}

const BUILTIN_FALLBACK = 'builtin-fallback';

/**
 * Answers one question with verified citations.
 *
 * @example
 * const outcome = await askRag({ db, root, answerer: createBuiltinAnswerer() }, { question: 'Who calls loadConfig?' });
 */
export async function askRag(options: AskOptions, input: AskInput): Promise<AskOutcome> {
  const t0 = performance.now();
  const emit = input.onEvent ?? (() => undefined);
  const reader = createRepoReader(options.root);
  const evidence = await gatherEvidence(options.db, input.question, {
    root: options.root,
    reader,
    ...(options.embedder ? { embedder: options.embedder } : {}),
    ...(options.vectorMemoryBytes !== undefined ? { vectorMemoryBytes: options.vectorMemoryBytes } : {}),
    ...(options.languages ? { languages: options.languages } : {}),
    ...(options.budgetTokens ? { budgetTokens: options.budgetTokens } : {}),
    ...(input.correction ? { alsoAbout: input.correction.text } : {}),
  });
  const evidenceMs = performance.now() - t0;
  emit({ type: 'evidence', items: evidence.items.length, tokens: evidence.tokens, ms: evidenceMs });

  let firstTokenMs: number | null = null;
  let streamed = false;
  const callbacks = {
    onDelta: (text: string) => {
      if (text.length === 0) return;
      if (firstTokenMs === null) firstTokenMs = performance.now() - t0;
      streamed = true;
      emit({ type: 'delta', text });
    },
    onRestart: (reason: string) => {
      streamed = false;
      emit({ type: 'restart', reason });
    },
    ...(input.signal ? { signal: input.signal } : {}),
  };
  const history = input.history ?? [];
  const maxRounds = options.maxRounds ?? DEFAULT_MAX_ROUNDS;
  const usage: ModelUsage[] = [];
  const critics: Array<{ round: number; results: readonly CriticResult[] }> = [];
  const base = {
    question: input.question,
    evidence,
    history,
    ...(input.intendedModel ? { intendedModel: input.intendedModel } : {}),
  };
  const correction = input.correction;
  let draft: Draft = await options.answerer.answer(
    correction
      ? {
          ...base,
          revision: {
            previous: {
              answerer: options.answerer.name,
              response: correction.previous,
              raw: JSON.stringify(correction.previous),
            },
            findings: ['The user marked this answer as wrong.'],
            rejected: [],
            correction: correction.text,
          },
        }
      : base,
    callbacks,
  );
  if (draft.usage) usage.push(draft.usage);
  let round = 0;
  let report = await runCritics(draft, { evidence, reader });
  for (;;) {
    critics.push({ round, results: report.results });
    recordCritics(report.results);
    emit({ type: 'critics', round, results: report.results });
    if (report.ok || round >= maxRounds) break;
    round++;
    if (streamed) callbacks.onRestart(`revision ${round}: the critics found problems`);
    draft = await options.answerer.answer(
      {
        ...base,
        revision: {
          previous: draft,
          findings: report.results.flatMap((r) => r.findings),
          rejected: report.citations.rejected.map((r) => r.citation),
          ...(correction ? { correction: correction.text } : {}),
        },
      },
      callbacks,
    );
    if (draft.usage) usage.push(draft.usage);
    report = await runCritics(draft, { evidence, reader });
  }

  let answerer = draft.answerer;
  let response: LlmResponse;
  let removed: readonly RejectedCitation[] = [];
  if (!draft.response) {
    // Never a failure for want of a parseable reply: the evidence answers as the built-in answerer would.
    answerer = BUILTIN_FALLBACK;
    response = composeBuiltinAnswer(evidence);
    if (streamed)
      callbacks.onRestart('the model gave no valid answer; the built-in answerer answers instead');
    callbacks.onDelta(response.answer);
  } else {
    removed = report.citations.rejected;
    response = removed.length === 0 ? draft.response : withoutRejected(draft.response, removed);
  }
  const totalMs = performance.now() - t0;
  recordAnswer({
    answerer,
    status: response.status,
    totalMs,
    firstTokenMs,
    rounds: round,
    removed: removed.map((r) => r.reason),
  });
  return {
    response,
    evidence,
    answerer,
    rounds: round,
    critics,
    removed,
    usage,
    evidenceMs,
    firstTokenMs,
    totalMs,
  };
}

/** The answer with its unverifiable citations removed, and saying so. */
function withoutRejected(response: LlmResponse, removed: readonly RejectedCitation[]): LlmResponse {
  const bad = new Set(removed.map((r) => r.citation));
  const citations = response.citations.filter((c) => !bad.has(c));
  const note = `\n\n_${removed.length} citation${removed.length === 1 ? '' : 's'} could not be verified and ${removed.length === 1 ? 'was' : 'were'} removed: ${removed.map((r) => `${r.citation.path}:${r.citation.start_line}-${r.citation.end_line} (${r.reason})`).join(', ')}._`;
  return {
    ...response,
    citations,
    status: response.status === 'answered' && citations.length === 0 ? 'partial' : response.status,
    confidence: Math.min(response.confidence, citations.length === 0 ? 0.3 : 0.6),
    answer: `${response.answer}${note}`.slice(0, 20_000),
  };
}
