import { randomUUID } from 'node:crypto';
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
} from 'cockatiel';
import type { Logger } from '../core/index.ts';
import { createRouter, type RouterOptions } from './create-router.ts';
import { LlmError } from './errors.ts';
import type { ChatRequest, FinishReason, LanguageModel, TokenUsage } from './language-model.ts';
import { recordCall, recordCircuit, recordFallback, recordRetry } from './metrics.ts';
import type { ModelEntry, RankResult, RouteRequest } from './router.ts';
import * as store from './store.ts';

export interface RetryOptions {
  /** Attempts per deployment (1 = no retry). */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A Retry-After longer than this moves on to the next deployment instead of waiting. */
  readonly maxRetryAfterMs: number;
}

export interface CircuitOptions {
  /** Consecutive failures that open a deployment's circuit. */
  readonly failures: number;
  /** After this long, one request probes the deployment (half-open). */
  readonly halfOpenAfterMs: number;
}

export interface LlmClientOptions extends RouterOptions {
  /** The model object for a deployment (adapters, keys from the vault). Called once per deployment. */
  readonly resolveModel: (entry: ModelEntry) => Promise<LanguageModel> | LanguageModel;
  readonly retry?: Partial<RetryOptions>;
  readonly circuit?: Partial<CircuitOptions>;
  /** Default deadline for the first token when the policy sets none. */
  readonly firstTokenTimeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Where background failures (a health refresh) are reported. */
  readonly logger?: Logger;
  readonly random?: () => number;
}

export const DEFAULT_RETRY: RetryOptions = {
  attempts: 3,
  baseDelayMs: 200,
  maxDelayMs: 4000,
  maxRetryAfterMs: 10_000,
};
export const DEFAULT_CIRCUIT: CircuitOptions = { failures: 5, halfOpenAfterMs: 10_000 };
export const DEFAULT_FIRST_TOKEN_TIMEOUT_MS = 20_000;

export interface CompleteOptions {
  readonly intendedModel?: string;
  /** Text as it streams. After `onRestart`, the text so far is void: a new deployment starts over. */
  readonly onDelta?: (text: string) => void;
  readonly onRestart?: (info: {
    readonly from: string;
    readonly to: string;
    readonly reason: string;
  }) => void;
  /** Prompt size estimate for routing; default: characters / 4. */
  readonly inputTokens?: number;
  readonly capabilityClass?: string;
}

export interface ChainStep {
  readonly modelId: string;
  readonly attempt: number;
  readonly outcome: 'ok' | 'error' | 'skipped';
  readonly errorCode?: string;
  readonly latencyMs?: number;
}

export interface LlmResponse {
  readonly text: string;
  readonly usage: TokenUsage;
  readonly finishReason: FinishReason;
  readonly costUsd: number;
  readonly decisionId: string;
  readonly intendedModelId: string | null;
  readonly servedModelId: string;
  readonly degraded: RankResult['degraded'];
  readonly chain: readonly ChainStep[];
}

export interface LlmClient {
  /** Ranks deployments for a service without calling any (the router-select endpoint). */
  select(service: string, request: RouteRequest, options?: { intendedModel?: string }): Promise<RankResult>;
  /** Routes, calls, retries and falls back; records the decision and every call. */
  complete(service: string, request: ChatRequest, options?: CompleteOptions): Promise<LlmResponse>;
  /** Resolves when background work (health refreshes) is done. */
  idle(): Promise<void>;
  /** Circuit state per deployment in this process. */
  circuits(): Record<string, 'closed' | 'open' | 'half_open'>;
}

const estimateTokens = (r: ChatRequest) =>
  Math.ceil(r.messages.reduce((n, m) => n + m.content.length, 0) / 4);

/**
 * The LLM layer's entry point: `select` ranks (router.ts), `complete` executes the ranked chain.
 * Per deployment: retryable errors are retried with exponential backoff and full jitter (Retry-After
 * honoured up to a cap), any failure then falls back to the next deployment; a circuit per
 * deployment opens after consecutive failures and lets one probe through after a pause; the first
 * token must arrive within a deadline; a stream cut mid-answer is a failure, never a success.
 *
 * @example
 * const llm = createLlmClient({ db, resolveModel, scoreVersion: 'v2', healthTtlMs: 86_400_000 });
 * const answer = await llm.complete('chat', { messages: [{ role: 'user', content: 'hi' }] });
 */
export function createLlmClient(options: LlmClientOptions): LlmClient {
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const circuitOptions = { ...DEFAULT_CIRCUIT, ...options.circuit };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  const router = createRouter(options);
  let background: Promise<void> = Promise.resolve();
  const breakers = new Map<string, CircuitBreakerPolicy>();
  const resolved = new Map<string, Promise<LanguageModel>>();

  const breakerFor = (modelId: string) => {
    let b = breakers.get(modelId);
    if (!b) {
      b = circuitBreaker(
        // Provider failures count; a caller's abort does not.
        handleWhen((error) => error instanceof LlmError),
        {
          halfOpenAfter: circuitOptions.halfOpenAfterMs,
          breaker: new ConsecutiveBreaker(circuitOptions.failures),
        },
      );
      b.onStateChange((state) =>
        recordCircuit(
          modelId,
          state === CircuitState.Open ? 'open' : state === CircuitState.HalfOpen ? 'half_open' : 'closed',
        ),
      );
      breakers.set(modelId, b);
    }
    return b;
  };

  const modelFor = (entry: ModelEntry) => {
    let m = resolved.get(entry.id);
    if (!m) {
      m = Promise.resolve(options.resolveModel(entry));
      resolved.set(entry.id, m);
      m.catch(() => resolved.delete(entry.id));
    }
    return m;
  };

  /** One streamed call with the first-token deadline; throws LlmError on any failure. */
  const callOnce = async (
    model: LanguageModel,
    request: ChatRequest,
    firstTokenTimeoutMs: number,
    onDelta: ((text: string) => void) | undefined,
  ) => {
    const t0 = performance.now();
    const abort = new AbortController();
    const outer = request.signal;
    const onOuterAbort = () => abort.abort(outer?.reason);
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    let firstTokenMs: number | null = null;
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, firstTokenTimeoutMs);
    let text = '';
    try {
      for await (const part of model.stream({ ...request, signal: abort.signal })) {
        if (part.type === 'text-delta') {
          if (firstTokenMs === null) {
            firstTokenMs = performance.now() - t0;
            clearTimeout(deadline);
          }
          text += part.text;
          onDelta?.(part.text);
        } else {
          return {
            text,
            usage: part.usage,
            finishReason: part.finishReason,
            latencyMs: performance.now() - t0,
            firstTokenMs,
          };
        }
      }
      throw new LlmError(
        'LLM_STREAM_INTERRUPTED',
        `${model.provider}/${model.model} stream ended without a finish`,
        {
          provider: model.provider,
          model: model.model,
        },
      );
    } catch (error) {
      if (timedOut && firstTokenMs === null)
        throw Object.assign(
          new LlmError(
            'LLM_FIRST_TOKEN_TIMEOUT',
            `${model.provider}/${model.model} sent no token within ${firstTokenTimeoutMs} ms`,
            {
              provider: model.provider,
              model: model.model,
            },
          ),
          { latencyMs: performance.now() - t0 },
        );
      if (outer?.aborted) throw error;
      const e =
        error instanceof LlmError
          ? error
          : new LlmError(
              'LLM_INVALID_RESPONSE',
              `${model.provider}/${model.model}: ${(error as Error).message}`,
              {
                cause: error,
              },
            );
      throw Object.assign(e, { latencyMs: performance.now() - t0, firstTokenMs });
    } finally {
      clearTimeout(deadline);
      outer?.removeEventListener('abort', onOuterAbort);
    }
  };

  const backoffMs = (attempt: number, error: LlmError) => {
    if (error.retryAfterMs !== undefined) return error.retryAfterMs;
    // Full jitter: uniform in [0, min(cap, base * 2^(attempt - 1))].
    return random() * Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
  };

  const complete: LlmClient['complete'] = async (service, request, o = {}) => {
    const decisionId = randomUUID();
    const { models, policy } = await router.catalog(service);
    const routeRequest: RouteRequest = {
      inputTokens: o.inputTokens ?? estimateTokens(request),
      maxOutputTokens: request.maxOutputTokens ?? 1024,
      ...(o.capabilityClass ? { capabilityClass: o.capabilityClass } : {}),
    };
    const rank = await router.select(
      service,
      routeRequest,
      o.intendedModel ? { intendedModel: o.intendedModel } : {},
    );
    const chain: ChainStep[] = [];
    const calls: store.CallRecord[] = [];
    const finish = async (servedModelId: string | null, outcome: 'ok' | 'failed' | 'no_candidate') => {
      await store.insertDecision(options.db, {
        id: decisionId,
        service,
        rank,
        chain,
        servedModelId,
        outcome,
        calls,
      });
      // Health follows in the background: the caller has its answer (`idle()` waits for it).
      const tried = [...new Set(calls.map((c) => c.modelId))];
      if (tried.length > 0)
        background = background
          .then(() => store.refreshHealth(options.db, tried))
          .catch((error: unknown) => options.logger?.warn({ err: error }, 'provider health refresh failed'));
    };
    if (rank.chain.length === 0) {
      await finish(null, 'no_candidate');
      throw new LlmError('LLM_NO_CANDIDATE', `no deployment can serve service ${service}`);
    }
    const firstTokenTimeoutMs =
      policy.firstTokenTimeoutMs ?? options.firstTokenTimeoutMs ?? DEFAULT_FIRST_TOKEN_TIMEOUT_MS;
    let lastError: LlmError | undefined;
    let emitted = false;
    for (const [i, modelId] of rank.chain.entries()) {
      const entry = models.find((m) => m.id === modelId)!;
      if (lastError) {
        recordFallback(service, lastError.code);
        if (emitted) o.onRestart?.({ from: rank.chain[i - 1]!, to: modelId, reason: lastError.code });
        emitted = false;
      }
      const breaker = breakerFor(modelId);
      for (let attempt = 1; attempt <= retry.attempts; attempt++) {
        try {
          const model = await modelFor(entry);
          const result = await breaker.execute(() =>
            callOnce(model, request, firstTokenTimeoutMs, (t) => {
              emitted = true;
              o.onDelta?.(t);
            }),
          );
          const inputCostUsd = result.usage.inputTokens * entry.inputPricePerToken;
          const outputCostUsd = result.usage.outputTokens * entry.outputPricePerToken;
          chain.push({ modelId, attempt, outcome: 'ok', latencyMs: result.latencyMs });
          recordAttempt(calls, service, entry, rank, decisionId, attempt, {
            outcome: 'ok',
            errorCode: null,
            latencyMs: result.latencyMs,
            firstTokenMs: result.firstTokenMs,
            usage: result.usage,
            inputCostUsd,
            outputCostUsd,
          });
          await finish(modelId, 'ok');
          return {
            text: result.text,
            usage: result.usage,
            finishReason: result.finishReason,
            costUsd: inputCostUsd + outputCostUsd,
            decisionId,
            intendedModelId: rank.intendedModelId,
            servedModelId: modelId,
            degraded: rank.degraded,
            chain,
          };
        } catch (error) {
          if (error instanceof BrokenCircuitError) {
            chain.push({ modelId, attempt, outcome: 'skipped', errorCode: 'LLM_CIRCUIT_OPEN' });
            lastError = new LlmError('LLM_CIRCUIT_OPEN', `${modelId} circuit is open`);
            break;
          }
          if (request.signal?.aborted) {
            await finish(null, 'failed');
            throw error;
          }
          if (!(error instanceof LlmError)) {
            // The deployment could not be built (its key is missing, expired or revoked): next one.
            const code = (error as { code?: unknown }).code;
            lastError = new LlmError(
              'LLM_AUTH',
              `${modelId} is unusable: ${typeof code === 'string' ? code : 'error'}`,
              {
                cause: error,
              },
            );
            chain.push({ modelId, attempt, outcome: 'skipped', errorCode: lastError.code });
            break;
          }
          lastError = error;
          const latencyMs = (error as LlmError & { latencyMs?: number }).latencyMs ?? 0;
          chain.push({ modelId, attempt, outcome: 'error', errorCode: error.code, latencyMs });
          recordAttempt(calls, service, entry, rank, decisionId, attempt, {
            outcome: 'error',
            errorCode: error.code,
            latencyMs,
            firstTokenMs: (error as LlmError & { firstTokenMs?: number | null }).firstTokenMs ?? null,
            usage: { inputTokens: 0, outputTokens: 0 },
            inputCostUsd: 0,
            outputCostUsd: 0,
          });
          // A silent provider is not retried: the deadline already cost its time.
          const again =
            error.isRetryable && error.code !== 'LLM_FIRST_TOKEN_TIMEOUT' && attempt < retry.attempts;
          const wait = again ? backoffMs(attempt, error) : 0;
          if (!again || wait > retry.maxRetryAfterMs) break;
          recordRetry(service, error.code);
          if (emitted) {
            o.onRestart?.({ from: modelId, to: modelId, reason: error.code });
            emitted = false;
          }
          await sleep(wait);
        }
      }
    }
    await finish(null, 'failed');
    throw new LlmError(
      'LLM_ALL_FAILED',
      `every deployment failed for service ${service}; last: ${lastError?.message}`,
      {
        cause: lastError,
      },
    );
  };

  const recordAttempt = (
    calls: store.CallRecord[],
    service: string,
    entry: ModelEntry,
    rank: RankResult,
    decisionId: string,
    attempt: number,
    r: {
      outcome: 'ok' | 'error';
      errorCode: string | null;
      latencyMs: number;
      firstTokenMs: number | null;
      usage: TokenUsage;
      inputCostUsd: number;
      outputCostUsd: number;
    },
  ) => {
    recordCall({
      service,
      provider: entry.providerId,
      model: entry.id,
      outcome: r.outcome,
      latencyMs: r.latencyMs,
      firstTokenMs: r.firstTokenMs,
      tokensIn: r.usage.inputTokens,
      tokensOut: r.usage.outputTokens,
      inputCostUsd: r.inputCostUsd,
      outputCostUsd: r.outputCostUsd,
    });
    calls.push({
      decisionId,
      service,
      providerId: entry.providerId,
      modelId: entry.id,
      intendedModelId: rank.intendedModelId,
      attempt,
      streamed: true,
      tokensIn: r.usage.inputTokens,
      tokensOut: r.usage.outputTokens,
      costUsd: r.inputCostUsd + r.outputCostUsd,
      latencyMs: r.latencyMs,
      firstTokenMs: r.firstTokenMs,
      outcome: r.outcome,
      errorCode: r.errorCode,
    });
  };

  return {
    select: router.select,
    complete,
    idle: () => background,
    circuits: () =>
      Object.fromEntries(
        [...breakers].map(([id, b]) => [
          id,
          b.state === CircuitState.Open ? 'open' : b.state === CircuitState.HalfOpen ? 'half_open' : 'closed',
        ]),
      ),
  };
}
