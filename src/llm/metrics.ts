import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from '../metrics/index.ts';

const tokens = new Counter({
  name: 'cogo_llm_tokens_total',
  help: 'Tokens through the LLM layer, by service, provider, model and token type (input, output).',
  labelNames: ['service', 'provider', 'model', 'type'] as const,
  registers: [registry],
});

const cost = new Counter({
  name: 'cogo_llm_cost_usd_total',
  help: 'Spend in USD at the models’ prices, by service, provider, model and token type (input, output).',
  labelNames: ['service', 'provider', 'model', 'type'] as const,
  registers: [registry],
});

const duration = new Histogram({
  name: 'cogo_llm_request_duration_seconds',
  help: 'One provider call, request to last token, by service, provider, model and outcome.',
  labelNames: ['service', 'provider', 'model', 'outcome'] as const,
  buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 80],
  registers: [registry],
});

const firstToken = new Histogram({
  name: 'cogo_llm_first_token_seconds',
  help: 'Time to the first streamed token, by service, provider and model.',
  labelNames: ['service', 'provider', 'model'] as const,
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20],
  registers: [registry],
});

const fallbacks = new Counter({
  name: 'cogo_llm_fallbacks_total',
  help: 'Moves down the ranked list to the next deployment, by service and reason (the error code).',
  labelNames: ['service', 'reason'] as const,
  registers: [registry],
});

const retries = new Counter({
  name: 'cogo_llm_retries_total',
  help: 'Retries of the same deployment after a retryable error, by service and reason.',
  labelNames: ['service', 'reason'] as const,
  registers: [registry],
});

const circuitTransitions = new Counter({
  name: 'cogo_llm_circuit_transitions_total',
  help: 'Circuit breaker state changes per deployment, by the state entered (open, half_open, closed).',
  labelNames: ['model', 'state'] as const,
  registers: [registry],
});

const circuitState = new Gauge({
  name: 'cogo_llm_circuit_state',
  help: 'Circuit breaker state per deployment in this process: 0 closed, 1 open, 2 half-open.',
  labelNames: ['model'] as const,
  registers: [registry],
});

export interface CallMetrics {
  readonly service: string;
  readonly provider: string;
  readonly model: string;
  readonly outcome: 'ok' | 'error';
  readonly latencyMs: number;
  readonly firstTokenMs: number | null;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly inputCostUsd: number;
  readonly outputCostUsd: number;
}

export function recordCall(c: CallMetrics): void {
  const base = { service: c.service, provider: c.provider, model: c.model };
  duration.observe({ ...base, outcome: c.outcome }, c.latencyMs / 1000);
  if (c.firstTokenMs !== null) firstToken.observe(base, c.firstTokenMs / 1000);
  if (c.tokensIn > 0) tokens.inc({ ...base, type: 'input' }, c.tokensIn);
  if (c.tokensOut > 0) tokens.inc({ ...base, type: 'output' }, c.tokensOut);
  if (c.inputCostUsd > 0) cost.inc({ ...base, type: 'input' }, c.inputCostUsd);
  if (c.outputCostUsd > 0) cost.inc({ ...base, type: 'output' }, c.outputCostUsd);
}

export function recordFallback(service: string, reason: string): void {
  fallbacks.inc({ service, reason });
}

export function recordRetry(service: string, reason: string): void {
  retries.inc({ service, reason });
}

export const CIRCUIT_STATES = ['closed', 'open', 'half_open'] as const;
export type CircuitStateName = (typeof CIRCUIT_STATES)[number];

export function recordCircuit(model: string, state: CircuitStateName): void {
  circuitTransitions.inc({ model, state });
  circuitState.set({ model }, CIRCUIT_STATES.indexOf(state));
}
