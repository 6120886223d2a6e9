import type { Db } from '../db/index.ts';
import { LlmError } from './errors.ts';
import type { LanguageModel } from './language-model.ts';
import type { ModelEntry } from './router.ts';
import * as store from './store.ts';

/** The service name probes are recorded under in `llm_calls`. */
export const PROBE_SERVICE = '_probe';

export interface ProbeOptions {
  /** The deadline for a probe's whole answer. */
  readonly timeoutMs: number;
  /** Probe only these deployments (default: every enabled one). */
  readonly only?: readonly string[];
  readonly window?: store.HealthWindow;
}

export interface ProbeResult {
  readonly modelId: string;
  readonly outcome: 'ok' | 'error';
  readonly latencyMs: number;
  readonly firstTokenMs: number | null;
  readonly errorCode: string | null;
}

async function probeOne(model: LanguageModel, timeoutMs: number) {
  const t0 = performance.now();
  let firstTokenMs: number | null = null;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    for await (const part of model.stream({
      messages: [{ role: 'user', content: 'Reply with the single word OK.' }],
      maxOutputTokens: 5,
      temperature: 0,
      signal,
    })) {
      if (part.type === 'text-delta' && firstTokenMs === null) firstTokenMs = performance.now() - t0;
      if (part.type === 'finish')
        return { outcome: 'ok' as const, firstTokenMs, errorCode: null, usage: part.usage };
    }
    return { outcome: 'error' as const, firstTokenMs, errorCode: 'LLM_STREAM_INTERRUPTED', usage: null };
  } catch (error) {
    const code = signal.aborted
      ? firstTokenMs === null
        ? 'LLM_FIRST_TOKEN_TIMEOUT'
        : 'LLM_TIMEOUT'
      : error instanceof LlmError
        ? error.code
        : 'LLM_INVALID_RESPONSE';
    return { outcome: 'error' as const, firstTokenMs, errorCode: code, usage: null };
  }
}

/**
 * Probes every enabled deployment once (in parallel), records each probe in `llm_calls` under
 * service `_probe` (timeouts and network errors keep their own codes), and recomputes
 * `provider_health` for them (`refreshHealth`, failures capped at the window's share).
 */
export async function probeHealth(
  db: Db,
  resolveModel: (entry: ModelEntry) => Promise<LanguageModel> | LanguageModel,
  options: ProbeOptions,
): Promise<ProbeResult[]> {
  const models = (await store.loadModels(db)).filter(
    (m) => m.enabled && (!options.only || options.only.includes(m.id)),
  );
  const results = await Promise.all(
    models.map(async (entry): Promise<ProbeResult> => {
      const t0 = performance.now();
      let r: Awaited<ReturnType<typeof probeOne>>;
      try {
        r = await probeOne(await resolveModel(entry), options.timeoutMs);
      } catch (error) {
        // The model could not even be built (a missing or expired key).
        const code =
          typeof (error as { code?: unknown }).code === 'string'
            ? (error as { code: string }).code
            : 'LLM_INVALID_REQUEST';
        r = { outcome: 'error', firstTokenMs: null, errorCode: code, usage: null };
      }
      const latencyMs = performance.now() - t0;
      const tokensIn = r.usage?.inputTokens ?? 0;
      const tokensOut = r.usage?.outputTokens ?? 0;
      await store.insertCall(db, {
        decisionId: null,
        service: PROBE_SERVICE,
        providerId: entry.providerId,
        modelId: entry.id,
        intendedModelId: null,
        attempt: 1,
        streamed: true,
        tokensIn,
        tokensOut,
        costUsd: tokensIn * entry.inputPricePerToken + tokensOut * entry.outputPricePerToken,
        latencyMs,
        firstTokenMs: r.firstTokenMs,
        outcome: r.outcome,
        errorCode: r.errorCode,
      });
      return {
        modelId: entry.id,
        outcome: r.outcome,
        latencyMs,
        firstTokenMs: r.firstTokenMs,
        errorCode: r.errorCode,
      };
    }),
  );
  if (models.length > 0)
    await store.refreshHealth(
      db,
      models.map((m) => m.id),
      options.window,
    );
  return results;
}
