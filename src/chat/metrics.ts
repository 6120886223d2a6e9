import { Counter, Histogram } from 'prom-client';
import { registry } from '../metrics/index.ts';
import type { CriticResult } from './critics.ts';

// Tokens and cost of LLM answers are counted by the LLM layer (cogo_llm_tokens_total,
// cogo_llm_cost_usd_total with service="chat"); these cover what the chat adds.
const answerDuration = new Histogram({
  name: 'cogo_chat_answer_duration_seconds',
  help: 'Time from question to final answer, by answerer and answer status.',
  labelNames: ['answerer', 'status'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});

const firstToken = new Histogram({
  name: 'cogo_chat_first_token_seconds',
  help: 'Time from question to the first streamed text of the answer, by answerer.',
  labelNames: ['answerer'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

const correctionRounds = new Histogram({
  name: 'cogo_chat_correction_rounds',
  help: 'Self-correction rounds an answer took (0: the first draft passed every critic).',
  labelNames: ['answerer'] as const,
  buckets: [0, 1, 2, 3, 5],
  registers: [registry],
});

const criticOutcomes = new Counter({
  name: 'cogo_chat_critic_outcomes_total',
  help: 'Critic results on drafts, by critic and outcome (pass, fail, skipped).',
  labelNames: ['critic', 'outcome'] as const,
  registers: [registry],
});

const removedCitations = new Counter({
  name: 'cogo_chat_citations_removed_total',
  help: 'Citations removed from final answers because they failed verification, by reason.',
  labelNames: ['reason'] as const,
  registers: [registry],
});

const failures = new Counter({
  name: 'cogo_chat_failures_total',
  help: 'Questions that got no answer, by error code.',
  labelNames: ['code'] as const,
  registers: [registry],
});

export function recordCritics(results: readonly CriticResult[]): void {
  for (const r of results) criticOutcomes.inc({ critic: r.critic, outcome: r.outcome });
}

export function recordAnswer(a: {
  answerer: string;
  status: string;
  totalMs: number;
  firstTokenMs: number | null;
  rounds: number;
  removed: readonly string[];
}): void {
  answerDuration.observe({ answerer: a.answerer, status: a.status }, a.totalMs / 1000);
  if (a.firstTokenMs !== null) firstToken.observe({ answerer: a.answerer }, a.firstTokenMs / 1000);
  correctionRounds.observe({ answerer: a.answerer }, a.rounds);
  for (const reason of a.removed) removedCitations.inc({ reason });
}

export function recordFailure(code: string): void {
  failures.inc({ code });
}
