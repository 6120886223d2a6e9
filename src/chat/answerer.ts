import type { Citation, LlmResponse } from './contract.ts';
import type { EvidenceItem, EvidenceSet } from './evidence.ts';

/** An earlier turn of the session, oldest first. */
export interface HistoryTurn {
  readonly role: 'user' | 'assistant';
  readonly content: string;
}

/** A draft sent back: what it said, and what the critics (or the user's feedback) found wrong. */
export interface Revision {
  readonly previous: Draft;
  readonly findings: readonly string[];
  /** Citations that failed verification; they must not be given again. */
  readonly rejected: readonly Citation[];
  /** The user's correction, when the revision comes from feedback. */
  readonly correction?: string;
}

export interface AnswerInput {
  readonly question: string;
  /** The model this answer asks for first (`provider/model`); the router degrades when it cannot serve. */
  readonly intendedModel?: string;
  readonly evidence: EvidenceSet;
  readonly history: readonly HistoryTurn[];
  readonly revision?: Revision;
}

export interface AnswerCallbacks {
  /** The answer's text as it is produced. */
  readonly onDelta?: (text: string) => void;
  /** The text streamed so far is void (the model was switched mid-answer); a new text follows. */
  readonly onRestart?: (reason: string) => void;
  readonly signal?: AbortSignal;
}

/** What an LLM answer cost and who served it. */
export interface ModelUsage {
  readonly servedModel: string;
  readonly intendedModel: string | null;
  readonly decisionId: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
}

/** One answer attempt: the contract object, or the raw text that failed to parse as one. */
export interface Draft {
  readonly answerer: string;
  readonly response: LlmResponse | null;
  readonly raw: string;
  /** Why `raw` is not a contract object. */
  readonly parseError?: string;
  readonly usage?: ModelUsage;
}

/**
 * The answerer port: the LLM answerer (through the router) and the built-in one (graph queries, no
 * model) both return LLM Response JSON v1 drafts; the self-correction loop checks and revises them.
 */
export interface Answerer {
  readonly name: string;
  answer(input: AnswerInput, callbacks?: AnswerCallbacks): Promise<Draft>;
}

/** The citation of one evidence item. */
export function citationOf(item: EvidenceItem): Citation {
  return { path: item.path, start_line: item.startLine, end_line: item.endLine, object_id: item.objectId };
}
