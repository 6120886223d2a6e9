import type { Db } from '../db/index.ts';
import {
  defaultPolicy,
  type HealthEntry,
  type ModelEntry,
  type RankResult,
  type RouteRequest,
  type RoutingPolicy,
  rankCandidates,
  type ScoreVersion,
} from './router.ts';
import * as store from './store.ts';

export interface RouterOptions {
  readonly db: Db;
  readonly scoreVersion: ScoreVersion;
  /** Health older than this is unknown (`HEALTH_TTL_MIN`). */
  readonly healthTtlMs: number;
  /** How long the catalog, policies and health are reused between requests (default 2 s). */
  readonly catalogTtlMs?: number;
}

export interface Router {
  /** Ranks the deployments that may serve a service's request (router.ts), from the database. */
  select(service: string, request: RouteRequest, options?: { intendedModel?: string }): Promise<RankResult>;
  /** The deployments and the service's policy the next `select` uses. */
  catalog(service: string): Promise<{ models: readonly ModelEntry[]; policy: RoutingPolicy }>;
}

interface Snapshot {
  readonly at: number;
  readonly models: ModelEntry[];
  readonly health: Map<string, HealthEntry>;
  readonly policies: Map<string, RoutingPolicy>;
}

/**
 * The router over the database: the catalog (`llm_models`, `llm_providers`), health and policies,
 * read at most every `catalogTtlMs`, ranked by `rankCandidates`.
 */
export function createRouter(options: RouterOptions): Router {
  const ttlMs = options.catalogTtlMs ?? 2000;
  let snapshot: Snapshot | undefined;

  const load = async (): Promise<Snapshot> => {
    if (snapshot && Date.now() - snapshot.at < ttlMs) return snapshot;
    const [models, health] = await Promise.all([store.loadModels(options.db), store.loadHealth(options.db)]);
    snapshot = { at: Date.now(), models, health, policies: new Map() };
    return snapshot;
  };

  const policyFor = async (s: Snapshot, service: string) => {
    let p = s.policies.get(service);
    if (!p) {
      p = (await store.loadPolicy(options.db, service)) ?? defaultPolicy(service);
      s.policies.set(service, p);
    }
    return p;
  };

  return {
    async select(service, request, o = {}) {
      const s = await load();
      return rankCandidates(s.models, s.health, await policyFor(s, service), request, {
        scoreVersion: options.scoreVersion,
        healthTtlMs: options.healthTtlMs,
        now: new Date(),
        ...(o.intendedModel ? { intendedModelId: o.intendedModel } : {}),
      });
    },
    async catalog(service) {
      const s = await load();
      return { models: s.models, policy: await policyFor(s, service) };
    },
  };
}
