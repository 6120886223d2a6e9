import { describe, expect, it } from 'vitest';
import {
  defaultPolicy,
  type HealthEntry,
  type ModelEntry,
  type RankOptions,
  type RoutingPolicy,
  rankCandidates,
} from './router.ts';

const NOW = new Date('2026-11-24T12:00:00Z');
const HOUR = 3_600_000;

function model(id: string, over: Partial<ModelEntry> = {}): ModelEntry {
  return {
    id,
    providerId: id.split('/')[0]!,
    model: id.split('/')[1]!,
    capabilityClass: 'chat',
    inputPricePerToken: 1e-6,
    outputPricePerToken: 2e-6,
    contextWindow: 128_000,
    region: null,
    coldStartPenaltyMs: 0,
    enabled: true,
    ...over,
  };
}

function health(modelId: string, over: Partial<HealthEntry> = {}): [string, HealthEntry] {
  return [
    modelId,
    {
      modelId,
      samples: 50,
      errorRate: 0,
      recentErrorRate: 0,
      latencyP50Ms: 500,
      latencyP95Ms: 900,
      updatedAt: new Date(NOW.getTime() - 60_000),
      ...over,
    },
  ];
}

const policy = (over: Partial<RoutingPolicy> = {}): RoutingPolicy => ({
  ...defaultPolicy('chat'),
  version: 3,
  ...over,
});
const request = { inputTokens: 1000, maxOutputTokens: 500 };
const v = (scoreVersion: 'v1' | 'v2', over: Partial<RankOptions> = {}): RankOptions => ({
  scoreVersion,
  healthTtlMs: 24 * HOUR,
  now: NOW,
  ...over,
});

describe('rankCandidates', () => {
  it('prefers the cheaper of two equally healthy deployments, and explains each term', () => {
    const models = [
      model('a/big', { inputPricePerToken: 1e-5, outputPricePerToken: 3e-5 }),
      model('b/small'),
    ];
    const r = rankCandidates(
      models,
      new Map([health('a/big'), health('b/small')]),
      policy(),
      request,
      v('v1'),
    );
    expect(r.chain).toEqual(['b/small', 'a/big']);
    expect(r.policyVersion).toBe(3);
    const big = r.candidates.find((c) => c.modelId === 'a/big')!;
    expect(big.terms).toMatchObject({ cost: -1, latency: -1, errors: -0 });
    expect(big.score).toBeCloseTo(-2);
  });

  it('filters disabled, denied, too-small and other-class deployments and says why', () => {
    const models = [
      model('a/off', { enabled: false }),
      model('b/denied'),
      model('c/tiny', { contextWindow: 1000 }),
      model('d/embed', { capabilityClass: 'embedding' }),
      model('e/ok'),
      model('f/provider-denied'),
    ];
    const r = rankCandidates(
      models,
      new Map(),
      policy({ capabilityClass: 'chat', denyModels: ['b/denied'], denyProviders: ['f'] }),
      request,
      v('v2'),
    );
    expect(Object.fromEntries(r.candidates.map((c) => [c.modelId, c.filtered ?? 'ranked']))).toEqual({
      'a/off': 'disabled',
      'b/denied': 'denied',
      'c/tiny': 'context_window',
      'd/embed': 'capability_class',
      'e/ok': 'ranked',
      'f/provider-denied': 'denied',
    });
    expect(r.chain).toEqual(['e/ok']);
  });

  it('routes nothing when the policy is switched off', () => {
    const r = rankCandidates([model('a/x')], new Map(), policy({ enabled: false }), request, v('v2'));
    expect(r.chain).toEqual([]);
    expect(r.selectedModelId).toBeNull();
    expect(r.candidates[0]?.filtered).toBe('policy_disabled');
  });

  it('never treats stale health as healthy: it ranks below fresh good health, like no health at all', () => {
    const models = [model('a/stale'), model('b/fresh'), model('c/none')];
    const h = new Map([
      health('a/stale', { errorRate: 0, latencyP50Ms: 10, updatedAt: new Date(NOW.getTime() - 48 * HOUR) }),
      health('b/fresh', { errorRate: 0.05, latencyP50Ms: 800 }),
    ]);
    const r = rankCandidates(models, h, policy(), request, v('v1'));
    expect(r.chain[0]).toBe('b/fresh');
    const stale = r.candidates.find((c) => c.modelId === 'a/stale')!;
    const none = r.candidates.find((c) => c.modelId === 'c/none')!;
    expect(stale.health).toBe('stale');
    expect(none.health).toBe('unknown');
    expect(stale.terms).toEqual(none.terms);
  });

  it('v1 drops deployments over the policy limits; v2 keeps them with a penalty', () => {
    const models = [model('a/slow'), model('b/flaky'), model('c/good')];
    const h = new Map([
      health('a/slow', { latencyP95Ms: 9000 }),
      health('b/flaky', { errorRate: 0.4 }),
      health('c/good'),
    ]);
    const p = policy({ maxLatencyMs: 3000, maxErrorRate: 0.1 });
    const r1 = rankCandidates(models, h, p, request, v('v1'));
    expect(r1.chain).toEqual(['c/good']);
    expect(r1.candidates.filter((c) => c.filtered).map((c) => [c.modelId, c.filtered])).toEqual([
      ['a/slow', 'max_latency'],
      ['b/flaky', 'max_error_rate'],
    ]);
    const r2 = rankCandidates(models, h, p, request, v('v2'));
    expect(r2.chain[0]).toBe('c/good');
    expect(r2.chain).toHaveLength(3);
    expect(r2.candidates.find((c) => c.modelId === 'a/slow')?.terms?.policy).toBeCloseTo(-(1 + 6000 / 3000));
    expect(r2.candidates.find((c) => c.modelId === 'b/flaky')?.terms?.policy).toBeCloseTo(-(1 + 0.3 / 0.1));
  });

  it('v2 prefers the policy’s regions in order, penalises cold starts, and backs off when errors rise', () => {
    const models = [
      model('eu/a', { region: 'eu' }),
      model('us/b', { region: 'us' }),
      model('ap/c', { region: 'ap' }),
    ];
    const h = new Map([health('eu/a'), health('us/b'), health('ap/c')]);
    const regions = rankCandidates(models, h, policy({ preferredRegions: ['us', 'eu'] }), request, v('v2'));
    expect(regions.chain).toEqual(['us/b', 'eu/a', 'ap/c']);
    // v1 knows no regions: equal scores fall back to id order.
    expect(rankCandidates(models, h, policy({ preferredRegions: ['us'] }), request, v('v1')).chain[0]).toBe(
      'ap/c',
    );

    const cold = rankCandidates(
      [model('a/cold', { coldStartPenaltyMs: 4000 }), model('b/warm')],
      new Map([health('a/cold'), health('b/warm')]),
      policy(),
      request,
      v('v2'),
    );
    expect(cold.chain).toEqual(['b/warm', 'a/cold']);

    const rising = rankCandidates(
      [model('a/rising'), model('b/steady')],
      new Map([
        health('a/rising', { errorRate: 0.05, recentErrorRate: 0.6 }),
        health('b/steady', { errorRate: 0.1, recentErrorRate: 0.1 }),
      ]),
      policy(),
      request,
      v('v2'),
    );
    expect(rising.chain).toEqual(['b/steady', 'a/rising']);
    expect(rising.candidates.find((c) => c.modelId === 'a/rising')?.terms?.backoff).toBeCloseTo(-2 * 0.55);
  });

  it('serves an intended model that is fit, first, with the others behind it', () => {
    const models = [model('a/cheap'), model('b/pricey', { inputPricePerToken: 1e-4 })];
    const r = rankCandidates(models, new Map([health('a/cheap'), health('b/pricey')]), policy(), request, {
      ...v('v2'),
      intendedModelId: 'b/pricey',
    });
    expect(r.chain).toEqual(['b/pricey', 'a/cheap']);
    expect(r.degraded).toBeNull();
    expect(r.intendedModelId).toBe('b/pricey');
  });

  it('degrades a denied or unhealthy intended model to the best of its own capability class', () => {
    const models = [
      model('a/large-1', { capabilityClass: 'large' }),
      model('b/large-2', { capabilityClass: 'large', inputPricePerToken: 5e-6 }),
      model('c/small', { capabilityClass: 'small', inputPricePerToken: 1e-9 }),
    ];
    const h = new Map([health('a/large-1', { errorRate: 0.9 }), health('b/large-2'), health('c/small')]);
    const unhealthy = rankCandidates(models, h, policy({ maxErrorRate: 0.2 }), request, {
      ...v('v2'),
      intendedModelId: 'a/large-1',
    });
    expect(unhealthy.degraded).toEqual({ reason: 'max_error_rate', fallbackClass: 'large' });
    expect(unhealthy.chain).toEqual(['b/large-2']);
    const denied = rankCandidates(models, h, policy({ denyModels: ['a/large-1'] }), request, {
      ...v('v1'),
      intendedModelId: 'a/large-1',
    });
    expect(denied.degraded?.reason).toBe('denied');
    expect(denied.selectedModelId).toBe('b/large-2');
    const unknown = rankCandidates(models, h, policy(), request, { ...v('v2'), intendedModelId: 'z/nope' });
    expect(unknown.degraded?.reason).toBe('unknown_model');
    expect(unknown.chain[0]).toBe('c/small');
  });
});
