/**
 * Routing: which deployment (a provider's model) serves a request. `rankCandidates` is pure: the
 * catalog, health and policy in, a decision out, with every candidate's score terms or the reason
 * it was filtered. Score v1 is cost + latency + errors with hard policy limits; score v2
 * (`ROUTER_SCORE_V2=true`) adds policy penalties, region preference, cold start and backoff when
 * the recent error rate rises. See docs/specs/LLM_ROUTING_V1.md.
 */

export const SCORE_VERSIONS = ['v1', 'v2'] as const;
export type ScoreVersion = (typeof SCORE_VERSIONS)[number];

export interface ModelEntry {
  readonly id: string;
  readonly providerId: string;
  readonly model: string;
  readonly capabilityClass: string;
  readonly inputPricePerToken: number;
  readonly outputPricePerToken: number;
  readonly contextWindow: number;
  readonly region: string | null;
  readonly coldStartPenaltyMs: number;
  /** False when the model or its provider is disabled. */
  readonly enabled: boolean;
}

export interface HealthEntry {
  readonly modelId: string;
  readonly samples: number;
  readonly errorRate: number;
  readonly recentErrorRate: number;
  readonly latencyP50Ms: number | null;
  readonly latencyP95Ms: number | null;
  readonly updatedAt: Date;
}

export interface ScoreWeights {
  readonly cost: number;
  readonly latency: number;
  readonly errors: number;
  readonly region: number;
  readonly coldStart: number;
  readonly backoff: number;
}

export const DEFAULT_SCORE_WEIGHTS: ScoreWeights = {
  cost: 1,
  latency: 1,
  errors: 2,
  region: 0.5,
  coldStart: 0.5,
  backoff: 2,
};

export interface RoutingPolicy {
  readonly service: string;
  readonly version: number;
  readonly enabled: boolean;
  readonly capabilityClass: string | null;
  readonly denyModels: readonly string[];
  readonly denyProviders: readonly string[];
  readonly maxLatencyMs: number | null;
  readonly maxErrorRate: number | null;
  readonly preferredRegions: readonly string[];
  readonly weights: Partial<ScoreWeights>;
  readonly firstTokenTimeoutMs: number | null;
}

/** The policy of a service that has none: no limits, no preferences. */
export function defaultPolicy(service: string): RoutingPolicy {
  return {
    service,
    version: 0,
    enabled: true,
    capabilityClass: null,
    denyModels: [],
    denyProviders: [],
    maxLatencyMs: null,
    maxErrorRate: null,
    preferredRegions: [],
    weights: {},
    firstTokenTimeoutMs: null,
  };
}

export interface RouteRequest {
  /** Prompt size estimate, for the context-window filter and the cost term. */
  readonly inputTokens: number;
  readonly maxOutputTokens: number;
  /** Overrides the policy's capability class. */
  readonly capabilityClass?: string;
}

export const FILTER_REASONS = [
  'policy_disabled',
  'disabled',
  'capability_class',
  'context_window',
  'denied',
  'max_latency',
  'max_error_rate',
] as const;
export type FilterReason = (typeof FILTER_REASONS)[number];

export type HealthState = 'fresh' | 'stale' | 'unknown';

export interface CandidateReport {
  readonly modelId: string;
  readonly health: HealthState;
  /** Set when the candidate was filtered out. */
  readonly filtered?: FilterReason;
  /** Higher is better; the sum of `terms`. */
  readonly score?: number;
  readonly terms?: Readonly<Record<string, number>>;
}

export interface RankOptions {
  readonly scoreVersion: ScoreVersion;
  readonly healthTtlMs: number;
  readonly now: Date;
  readonly intendedModelId?: string;
}

export interface RankResult {
  readonly scoreVersion: ScoreVersion;
  readonly policyVersion: number | null;
  readonly intendedModelId: string | null;
  /** The deployment to try first; null when nothing is routable. */
  readonly selectedModelId: string | null;
  /** When the intended model could not serve: why, and the same-class model chosen instead. */
  readonly degraded: {
    readonly reason: FilterReason | 'unknown_model';
    readonly fallbackClass: string;
  } | null;
  /** The order to try deployments in (selected first). */
  readonly chain: readonly string[];
  readonly candidates: readonly CandidateReport[];
}

// Error rate assumed for a deployment without fresh health: unknown is never healthy.
const UNKNOWN_ERROR_RATE = 0.5;

function healthState(h: HealthEntry | undefined, o: RankOptions): HealthState {
  if (!h || h.samples === 0) return 'unknown';
  return o.now.getTime() - h.updatedAt.getTime() <= o.healthTtlMs ? 'fresh' : 'stale';
}

function hardFilter(m: ModelEntry, policy: RoutingPolicy, request: RouteRequest): FilterReason | undefined {
  const wantedClass = request.capabilityClass ?? policy.capabilityClass;
  if (!policy.enabled) return 'policy_disabled';
  if (!m.enabled) return 'disabled';
  if (wantedClass && m.capabilityClass !== wantedClass) return 'capability_class';
  if (m.contextWindow < request.inputTokens + request.maxOutputTokens) return 'context_window';
  if (policy.denyModels.includes(m.id) || policy.denyProviders.includes(m.providerId)) return 'denied';
  return undefined;
}

/** The policy limit a deployment with fresh health breaks, if any. */
function policyViolation(h: HealthEntry | undefined, state: HealthState, policy: RoutingPolicy) {
  if (state !== 'fresh' || !h) return undefined;
  if (policy.maxErrorRate !== null && h.errorRate > policy.maxErrorRate) return 'max_error_rate' as const;
  if (policy.maxLatencyMs !== null && h.latencyP95Ms !== null && h.latencyP95Ms > policy.maxLatencyMs)
    return 'max_latency' as const;
  return undefined;
}

const expectedCost = (m: ModelEntry, r: RouteRequest) =>
  m.inputPricePerToken * r.inputTokens + m.outputPricePerToken * r.maxOutputTokens;

function scoreTerms(
  m: ModelEntry,
  h: HealthEntry | undefined,
  state: HealthState,
  policy: RoutingPolicy,
  request: RouteRequest,
  scale: { maxCost: number; maxLatency: number },
  version: ScoreVersion,
): Record<string, number> {
  const w = { ...DEFAULT_SCORE_WEIGHTS, ...policy.weights };
  const fresh = state === 'fresh' && h ? h : undefined;
  const errorRate = fresh ? fresh.errorRate : UNKNOWN_ERROR_RATE;
  // Latency relative to the slowest known candidate; unknown counts as the slowest.
  const latency =
    fresh?.latencyP50Ms != null && scale.maxLatency > 0 ? fresh.latencyP50Ms / scale.maxLatency : 1;
  const terms: Record<string, number> = {
    cost: -w.cost * (scale.maxCost > 0 ? expectedCost(m, request) / scale.maxCost : 0),
    latency: -w.latency * latency,
    errors: -w.errors * errorRate,
  };
  if (version === 'v1') return terms;
  const violation = policyViolation(h, state, policy);
  if (violation === 'max_error_rate' && fresh && policy.maxErrorRate !== null)
    terms.policy = -(1 + (fresh.errorRate - policy.maxErrorRate) / Math.max(policy.maxErrorRate, 0.01));
  if (violation === 'max_latency' && fresh?.latencyP95Ms != null && policy.maxLatencyMs !== null)
    terms.policy = -(1 + (fresh.latencyP95Ms - policy.maxLatencyMs) / policy.maxLatencyMs);
  const regionAt = m.region ? policy.preferredRegions.indexOf(m.region) : -1;
  terms.region = regionAt < 0 ? 0 : w.region * (1 - regionAt / policy.preferredRegions.length);
  terms.coldStart = -w.coldStart * (m.coldStartPenaltyMs / 1000);
  // Backoff: the last samples fail more often than the long run.
  terms.backoff = fresh ? -w.backoff * Math.max(0, fresh.recentErrorRate - fresh.errorRate) : 0;
  return terms;
}

/**
 * Ranks the catalog for one request under one policy. Filters (both versions): a disabled policy,
 * disabled deployments, capability class, context window, deny lists; v1 also drops deployments whose fresh health
 * breaks `max_latency`/`max_error_rate`, v2 penalises them instead. Stale or missing health is
 * unknown: scored with the worst latency and a 50 % error rate, never as healthy. An intended model
 * that is filtered or breaks a policy limit degrades to the best candidate of its capability class.
 */
export function rankCandidates(
  models: readonly ModelEntry[],
  health: ReadonlyMap<string, HealthEntry>,
  policy: RoutingPolicy,
  request: RouteRequest,
  o: RankOptions,
): RankResult {
  const reports: CandidateReport[] = [];
  const eligible: Array<{ m: ModelEntry; h: HealthEntry | undefined; state: HealthState }> = [];
  for (const m of models) {
    const h = health.get(m.id);
    const state = healthState(h, o);
    const filtered =
      hardFilter(m, policy, request) ??
      (o.scoreVersion === 'v1' ? policyViolation(h, state, policy) : undefined);
    if (filtered) reports.push({ modelId: m.id, health: state, filtered });
    else eligible.push({ m, h, state });
  }
  const scale = {
    maxCost: Math.max(0, ...eligible.map((e) => expectedCost(e.m, request))),
    maxLatency: Math.max(0, ...eligible.map((e) => (e.state === 'fresh' ? (e.h?.latencyP50Ms ?? 0) : 0))),
  };
  const scored = eligible.map((e) => {
    const terms = scoreTerms(e.m, e.h, e.state, policy, request, scale, o.scoreVersion);
    const score = Object.values(terms).reduce((a, b) => a + b, 0);
    return { ...e, terms, score };
  });
  scored.sort((a, b) => b.score - a.score || (a.m.id < b.m.id ? -1 : 1));
  for (const s of scored) reports.push({ modelId: s.m.id, health: s.state, score: s.score, terms: s.terms });

  let chain = scored.map((s) => s.m.id);
  let degraded: RankResult['degraded'] = null;
  const intended = o.intendedModelId;
  if (intended) {
    const entry = models.find((m) => m.id === intended);
    const report = reports.find((r) => r.modelId === intended);
    const s = scored.find((x) => x.m.id === intended);
    const violation = s ? policyViolation(s.h, s.state, policy) : undefined;
    // Context window and capability class are about this request, not the model's state: an
    // intended model that cannot take the request still degrades, within its own class.
    const reason = !entry ? 'unknown_model' : (report?.filtered ?? violation);
    const fallbackClass = entry?.capabilityClass ?? request.capabilityClass ?? policy.capabilityClass ?? '';
    if (reason) {
      degraded = { reason, fallbackClass };
      chain = scored
        .filter((x) => x.m.id !== intended && (!entry || x.m.capabilityClass === entry.capabilityClass))
        .map((x) => x.m.id);
    } else {
      chain = [intended, ...chain.filter((id) => id !== intended)];
    }
  }
  return {
    scoreVersion: o.scoreVersion,
    policyVersion: policy.version,
    intendedModelId: intended ?? null,
    selectedModelId: chain[0] ?? null,
    degraded,
    chain,
    candidates: reports,
  };
}
