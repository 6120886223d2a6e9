import { z } from 'zod';
import type { Db } from '../db/index.ts';
import * as store from './store.ts';

const id = z.string().regex(/^[A-Za-z0-9._:@-]+(\/[A-Za-z0-9._:@/-]+)?$/, 'letters, digits and . _ : @ - /');

/** A catalog file: providers, their models and routing policies (`cogo llm catalog apply`). */
export const catalogSchema = z.object({
  providers: z
    .array(
      z.object({
        id,
        kind: z.enum(['openai-compatible', 'anthropic']),
        baseUrl: z.url().optional(),
        keyId: z.string().min(1).optional(),
        region: z.string().min(1).optional(),
        enabled: z.boolean().default(true),
      }),
    )
    .default([]),
  models: z
    .array(
      z.object({
        id: id.optional(),
        provider: id,
        model: z.string().min(1),
        capabilityClass: z.string().min(1),
        contextWindow: z.number().int().positive(),
        region: z.string().min(1).optional(),
        coldStartPenaltyMs: z.number().int().nonnegative().default(0),
        enabled: z.boolean().default(true),
      }),
    )
    .default([]),
  policies: z
    .array(
      z.object({
        service: z.string().min(1),
        enabled: z.boolean().default(true),
        capabilityClass: z.string().min(1).optional(),
        denyModels: z.array(z.string()).default([]),
        denyProviders: z.array(z.string()).default([]),
        maxLatencyMs: z.number().int().positive().optional(),
        maxErrorRate: z.number().min(0).max(1).optional(),
        preferredRegions: z.array(z.string()).default([]),
        weights: z
          .partialRecord(z.enum(['cost', 'latency', 'errors', 'region', 'coldStart', 'backoff']), z.number())
          .default({}),
        firstTokenTimeoutMs: z.number().int().positive().optional(),
      }),
    )
    .default([]),
});
export type Catalog = z.infer<typeof catalogSchema>;

/** A versioned price file: USD per million tokens, per deployment id (`npm run llm:costs`). */
export const priceFileSchema = z.object({
  version: z.string().min(1),
  currency: z.literal('USD'),
  unit: z.literal('per_million_tokens'),
  models: z.record(
    z.string(),
    z.object({ input: z.number().nonnegative(), output: z.number().nonnegative() }),
  ),
});
export type PriceFile = z.infer<typeof priceFileSchema>;

/** Writes the catalog's providers, models and policies (upserts; a changed policy's version rises). */
export async function applyCatalog(
  db: Db,
  catalog: Catalog,
): Promise<{ providers: number; models: number; policies: number }> {
  await db.transaction(async (tx) => {
    for (const p of catalog.providers)
      await store.upsertProvider(tx, {
        id: p.id,
        kind: p.kind,
        baseUrl: p.baseUrl ?? null,
        keyId: p.keyId ?? null,
        region: p.region ?? null,
        enabled: p.enabled,
      });
    for (const m of catalog.models)
      await store.upsertModel(tx, {
        id: m.id ?? `${m.provider}/${m.model}`,
        providerId: m.provider,
        model: m.model,
        capabilityClass: m.capabilityClass,
        contextWindow: m.contextWindow,
        region: m.region ?? null,
        coldStartPenaltyMs: m.coldStartPenaltyMs,
        enabled: m.enabled,
      });
    for (const p of catalog.policies)
      await store.upsertPolicy(tx, {
        service: p.service,
        enabled: p.enabled,
        capabilityClass: p.capabilityClass ?? null,
        denyModels: p.denyModels,
        denyProviders: p.denyProviders,
        maxLatencyMs: p.maxLatencyMs ?? null,
        maxErrorRate: p.maxErrorRate ?? null,
        preferredRegions: p.preferredRegions,
        weights: p.weights,
        firstTokenTimeoutMs: p.firstTokenTimeoutMs ?? null,
      });
  });
  return {
    providers: catalog.providers.length,
    models: catalog.models.length,
    policies: catalog.policies.length,
  };
}

export interface PriceReport {
  readonly version: string;
  readonly updated: readonly string[];
  /** Deployments in the file that the catalog does not have. */
  readonly unknown: readonly string[];
  /** Deployments in the catalog the file has no price for (their prices stay). */
  readonly unpriced: readonly string[];
}

/** Sets per-token prices (the file's per-million figures / 1e6) and the price version on each deployment. */
export async function applyPrices(db: Db, prices: PriceFile): Promise<PriceReport> {
  const ids = Object.keys(prices.models).sort();
  const { rows } = await db.query<{ id: string }>(
    `update llm_models m set input_price_per_token = p.input / 1e6, output_price_per_token = p.output / 1e6,
            price_version = $4, updated_at = now()
       from unnest($1::text[], $2::numeric[], $3::numeric[]) as p(id, input, output)
      where m.id = p.id
      returning m.id`,
    [ids, ids.map((i) => prices.models[i]!.input), ids.map((i) => prices.models[i]!.output), prices.version],
  );
  const updated = rows.map((r) => r.id).sort();
  const { rows: all } = await db.query<{ id: string }>('select id from llm_models order by id');
  return {
    version: prices.version,
    updated,
    unknown: ids.filter((i) => !updated.includes(i)),
    unpriced: all.map((r) => r.id).filter((i) => !ids.includes(i)),
  };
}

export interface SpendRow {
  readonly service: string;
  readonly modelId: string;
  readonly calls: number;
  readonly failed: number;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly costUsd: number;
}

/** Spend by deployment and service for calls in [from, to). */
export async function spendReport(db: Db, window: { from: Date; to: Date }): Promise<SpendRow[]> {
  const { rows } = await db.query<{
    service: string;
    model_id: string;
    calls: number;
    failed: number;
    tokens_in: string;
    tokens_out: string;
    cost_usd: string;
  }>(
    `select service, model_id, count(*)::int as calls, count(*) filter (where outcome = 'error')::int as failed,
            sum(tokens_in) as tokens_in, sum(tokens_out) as tokens_out, sum(cost_usd) as cost_usd
       from llm_calls where created_at >= $1 and created_at < $2
      group by service, model_id order by sum(cost_usd) desc, service, model_id`,
    [window.from, window.to],
  );
  return rows.map((r) => ({
    service: r.service,
    modelId: r.model_id,
    calls: r.calls,
    failed: r.failed,
    tokensIn: Number(r.tokens_in),
    tokensOut: Number(r.tokens_out),
    costUsd: Number(r.cost_usd),
  }));
}
