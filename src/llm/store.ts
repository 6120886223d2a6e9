import type { Db } from '../db/index.ts';
import type { HealthEntry, ModelEntry, RankResult, RoutingPolicy } from './router.ts';

/** Enabled and disabled deployments with their provider's state folded into `enabled`. */
export async function loadModels(db: Db): Promise<ModelEntry[]> {
  const { rows } = await db.query<{
    id: string;
    provider_id: string;
    model: string;
    capability_class: string;
    input_price_per_token: string;
    output_price_per_token: string;
    context_window: number;
    region: string | null;
    cold_start_penalty_ms: number;
    enabled: boolean;
  }>(
    `select m.id, m.provider_id, m.model, m.capability_class, m.input_price_per_token,
            m.output_price_per_token, m.context_window, coalesce(m.region, p.region) as region,
            m.cold_start_penalty_ms, m.enabled and p.enabled as enabled
       from llm_models m join llm_providers p on p.id = m.provider_id
      order by m.id`,
  );
  return rows.map((r) => ({
    id: r.id,
    providerId: r.provider_id,
    model: r.model,
    capabilityClass: r.capability_class,
    inputPricePerToken: Number(r.input_price_per_token),
    outputPricePerToken: Number(r.output_price_per_token),
    contextWindow: r.context_window,
    region: r.region,
    coldStartPenaltyMs: r.cold_start_penalty_ms,
    enabled: r.enabled,
  }));
}

export async function loadPolicy(db: Db, service: string): Promise<RoutingPolicy | undefined> {
  const { rows } = await db.query<{
    service: string;
    version: number;
    enabled: boolean;
    capability_class: string | null;
    deny_models: string[];
    deny_providers: string[];
    max_latency_ms: number | null;
    max_error_rate: number | null;
    preferred_regions: string[];
    weights: Record<string, number>;
    first_token_timeout_ms: number | null;
  }>('select * from routing_policies where service = $1', [service]);
  const r = rows[0];
  if (!r) return undefined;
  return {
    service: r.service,
    version: r.version,
    enabled: r.enabled,
    capabilityClass: r.capability_class,
    denyModels: r.deny_models,
    denyProviders: r.deny_providers,
    maxLatencyMs: r.max_latency_ms,
    maxErrorRate: r.max_error_rate === null ? null : Number(r.max_error_rate),
    preferredRegions: r.preferred_regions,
    weights: r.weights,
    firstTokenTimeoutMs: r.first_token_timeout_ms,
  };
}

export async function loadHealth(db: Db): Promise<Map<string, HealthEntry>> {
  const { rows } = await db.query<{
    model_id: string;
    samples: number;
    error_rate: number;
    recent_error_rate: number;
    latency_p50_ms: number | null;
    latency_p95_ms: number | null;
    updated_at: Date;
  }>(
    `select model_id, samples, error_rate, recent_error_rate, latency_p50_ms, latency_p95_ms, updated_at
       from provider_health`,
  );
  return new Map(
    rows.map((r) => [
      r.model_id,
      {
        modelId: r.model_id,
        samples: r.samples,
        errorRate: Number(r.error_rate),
        recentErrorRate: Number(r.recent_error_rate),
        latencyP50Ms: r.latency_p50_ms === null ? null : Number(r.latency_p50_ms),
        latencyP95Ms: r.latency_p95_ms === null ? null : Number(r.latency_p95_ms),
        updatedAt: new Date(r.updated_at),
      },
    ]),
  );
}

export interface ProviderRecord {
  readonly id: string;
  readonly kind: 'openai-compatible' | 'anthropic';
  readonly baseUrl?: string | null;
  readonly keyId?: string | null;
  readonly region?: string | null;
  readonly enabled?: boolean;
}

export async function upsertProvider(db: Db, p: ProviderRecord): Promise<void> {
  await db.query(
    `insert into llm_providers (id, kind, base_url, key_id, region, enabled) values ($1, $2, $3, $4, $5, $6)
     on conflict (id) do update set kind = excluded.kind, base_url = excluded.base_url, key_id = excluded.key_id,
       region = excluded.region, enabled = excluded.enabled, updated_at = now()`,
    [p.id, p.kind, p.baseUrl ?? null, p.keyId ?? null, p.region ?? null, p.enabled ?? true],
  );
}

export interface ModelRecord {
  readonly id: string;
  readonly providerId: string;
  readonly model: string;
  readonly capabilityClass: string;
  readonly inputPricePerToken?: number;
  readonly outputPricePerToken?: number;
  readonly contextWindow: number;
  readonly region?: string | null;
  readonly coldStartPenaltyMs?: number;
  readonly enabled?: boolean;
}

export async function upsertModel(db: Db, m: ModelRecord): Promise<void> {
  await db.query(
    `insert into llm_models (id, provider_id, model, capability_class, input_price_per_token,
       output_price_per_token, context_window, region, cold_start_penalty_ms, enabled)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     on conflict (id) do update set provider_id = excluded.provider_id, model = excluded.model,
       capability_class = excluded.capability_class, input_price_per_token = excluded.input_price_per_token,
       output_price_per_token = excluded.output_price_per_token, context_window = excluded.context_window,
       region = excluded.region, cold_start_penalty_ms = excluded.cold_start_penalty_ms,
       enabled = excluded.enabled, updated_at = now()`,
    [
      m.id,
      m.providerId,
      m.model,
      m.capabilityClass,
      m.inputPricePerToken ?? 0,
      m.outputPricePerToken ?? 0,
      m.contextWindow,
      m.region ?? null,
      m.coldStartPenaltyMs ?? 0,
      m.enabled ?? true,
    ],
  );
}

/** Creates or changes a service's policy; every change raises its version. */
export async function upsertPolicy(
  db: Db,
  p: Partial<Omit<RoutingPolicy, 'version'>> & { readonly service: string },
): Promise<number> {
  const { rows } = await db.query<{ version: number }>(
    `insert into routing_policies (service, enabled, capability_class, deny_models, deny_providers,
       max_latency_ms, max_error_rate, preferred_regions, weights, first_token_timeout_ms)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     on conflict (service) do update set version = routing_policies.version + 1, enabled = excluded.enabled,
       capability_class = excluded.capability_class, deny_models = excluded.deny_models,
       deny_providers = excluded.deny_providers, max_latency_ms = excluded.max_latency_ms,
       max_error_rate = excluded.max_error_rate, preferred_regions = excluded.preferred_regions,
       weights = excluded.weights, first_token_timeout_ms = excluded.first_token_timeout_ms, updated_at = now()
     returning version`,
    [
      p.service,
      p.enabled ?? true,
      p.capabilityClass ?? null,
      p.denyModels ?? [],
      p.denyProviders ?? [],
      p.maxLatencyMs ?? null,
      p.maxErrorRate ?? null,
      p.preferredRegions ?? [],
      JSON.stringify(p.weights ?? {}),
      p.firstTokenTimeoutMs ?? null,
    ],
  );
  return rows[0]!.version;
}

export interface ChainStep {
  readonly modelId: string;
  readonly attempt: number;
  readonly outcome: 'ok' | 'error' | 'skipped';
  readonly errorCode?: string;
  readonly latencyMs?: number;
}

/** The decision and its calls in one statement: one round trip per request on the hot path. */
export async function insertDecision(
  db: Db,
  d: {
    id: string;
    service: string;
    rank: RankResult;
    chain: readonly ChainStep[];
    servedModelId: string | null;
    outcome: 'ok' | 'failed' | 'no_candidate';
    calls: readonly CallRecord[];
  },
): Promise<void> {
  await db.query(
    `with decision as (
       insert into llm_routing_decisions (id, service, policy_version, score_version, intended_model_id,
         selected_model_id, candidates, chain, served_model_id, outcome)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     )
     insert into llm_calls (decision_id, service, provider_id, model_id, intended_model_id, attempt, streamed,
       tokens_in, tokens_out, cost_usd, latency_ms, first_token_ms, outcome, error_code)
     select $1, service, provider_id, model_id, intended_model_id, attempt, streamed, tokens_in, tokens_out,
            cost_usd, latency_ms, first_token_ms, outcome, error_code
       from jsonb_to_recordset($11::jsonb) as x(service text, provider_id text, model_id text,
         intended_model_id text, attempt integer, streamed boolean, tokens_in integer, tokens_out integer,
         cost_usd numeric, latency_ms real, first_token_ms real, outcome text, error_code text)`,
    [
      d.id,
      d.service,
      d.rank.policyVersion,
      d.rank.scoreVersion,
      d.rank.intendedModelId,
      d.rank.selectedModelId,
      JSON.stringify({ degraded: d.rank.degraded, ranked: d.rank.chain, candidates: d.rank.candidates }),
      JSON.stringify(d.chain),
      d.servedModelId,
      d.outcome,
      JSON.stringify(
        d.calls.map((c) => ({
          service: c.service,
          provider_id: c.providerId,
          model_id: c.modelId,
          intended_model_id: c.intendedModelId,
          attempt: c.attempt,
          streamed: c.streamed,
          tokens_in: c.tokensIn,
          tokens_out: c.tokensOut,
          cost_usd: c.costUsd,
          latency_ms: c.latencyMs,
          first_token_ms: c.firstTokenMs,
          outcome: c.outcome,
          error_code: c.errorCode,
        })),
      ),
    ],
  );
}

export interface CallRecord {
  readonly decisionId: string | null;
  readonly service: string;
  readonly providerId: string;
  readonly modelId: string;
  readonly intendedModelId: string | null;
  readonly attempt: number;
  readonly streamed: boolean;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly costUsd: number;
  readonly latencyMs: number;
  readonly firstTokenMs: number | null;
  readonly outcome: 'ok' | 'error';
  readonly errorCode: string | null;
}

export async function insertCall(db: Db, c: CallRecord): Promise<void> {
  await db.query(
    `insert into llm_calls (decision_id, service, provider_id, model_id, intended_model_id, attempt, streamed,
       tokens_in, tokens_out, cost_usd, latency_ms, first_token_ms, outcome, error_code)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
    [
      c.decisionId,
      c.service,
      c.providerId,
      c.modelId,
      c.intendedModelId,
      c.attempt,
      c.streamed,
      c.tokensIn,
      c.tokensOut,
      c.costUsd,
      c.latencyMs,
      c.firstTokenMs,
      c.outcome,
      c.errorCode,
    ],
  );
}

export interface HealthWindow {
  /** Calls (and probes) per deployment the health is computed from, newest first. */
  readonly samples: number;
  /** The newest calls the recent error rate is computed from. */
  readonly recentSamples: number;
  /** Failures count at most this share of the window, so a dead spell does not erase the record. */
  readonly maxFailureShare: number;
}

export const DEFAULT_HEALTH_WINDOW: HealthWindow = { samples: 100, recentSamples: 10, maxFailureShare: 0.8 };

const TIMEOUT_CODES = ['LLM_TIMEOUT', 'LLM_FIRST_TOKEN_TIMEOUT'];
const NETWORK_CODES = ['LLM_NETWORK', 'LLM_STREAM_INTERRUPTED'];

/**
 * Recomputes `provider_health` for deployments from their newest calls (live calls and
 * `llm:health` probes alike): counts of successes, HTTP errors, timeouts and network errors apart,
 * error rates (failures capped at `maxFailureShare` of the window), latency percentiles of successes.
 */
export async function refreshHealth(
  db: Db,
  modelIds: readonly string[],
  window: HealthWindow = DEFAULT_HEALTH_WINDOW,
): Promise<void> {
  await db.query(
    `with ranked as (
       select c.model_id, c.outcome, c.error_code, c.latency_ms,
              row_number() over (partition by c.model_id order by c.created_at desc, c.id desc) as n
         from llm_calls c where c.model_id = any($1::text[])
     ), w as (select * from ranked where n <= $2),
     agg as (
       select model_id, count(*)::int as samples,
              count(*) filter (where outcome = 'ok')::int as successes,
              count(*) filter (where outcome = 'error' and error_code = any($5::text[]))::int as timeouts,
              count(*) filter (where outcome = 'error' and error_code = any($6::text[]))::int as network_errors,
              count(*) filter (where outcome = 'error' and not (coalesce(error_code, '') = any($5::text[] || $6::text[])))::int as http_errors,
              least($4::float8, (count(*) filter (where outcome = 'error'))::float8 / count(*)) as error_rate,
              least($4::float8, (count(*) filter (where outcome = 'error' and n <= $3))::float8
                    / greatest(1, count(*) filter (where n <= $3))) as recent_error_rate,
              percentile_cont(0.5) within group (order by latency_ms) filter (where outcome = 'ok') as p50,
              percentile_cont(0.95) within group (order by latency_ms) filter (where outcome = 'ok') as p95
         from w group by model_id
     )
     insert into provider_health (model_id, samples, successes, http_errors, timeouts, network_errors,
       error_rate, recent_error_rate, latency_p50_ms, latency_p95_ms, updated_at)
     select model_id, samples, successes, http_errors, timeouts, network_errors, error_rate, recent_error_rate,
            p50, p95, now() from agg
     on conflict (model_id) do update set samples = excluded.samples, successes = excluded.successes,
       http_errors = excluded.http_errors, timeouts = excluded.timeouts, network_errors = excluded.network_errors,
       error_rate = excluded.error_rate, recent_error_rate = excluded.recent_error_rate,
       latency_p50_ms = excluded.latency_p50_ms, latency_p95_ms = excluded.latency_p95_ms, updated_at = now()`,
    [modelIds, window.samples, window.recentSamples, window.maxFailureShare, TIMEOUT_CODES, NETWORK_CODES],
  );
}
