import type { Db } from '../db/index.ts';
import { createAnthropicModel } from './anthropic-model.ts';
import { LlmError } from './errors.ts';
import type { KeyVault } from './key-vault.ts';
import type { LanguageModel } from './language-model.ts';
import { createOpenAICompatibleModel } from './openai-compatible-model.ts';
import type { ModelEntry } from './router.ts';

export interface ModelResolverOptions {
  readonly db: Db;
  /** Where providers' keys are read from (`llm_providers.key_id`); without one, keyed providers fail. */
  readonly vault?: KeyVault;
  /** Who reads the keys, for the vault's audit. */
  readonly actor: string;
  /** Per-request timeout of the adapters. */
  readonly timeoutMs?: number;
}

/**
 * Builds the `LanguageModel` for a deployment from its provider row: the adapter for its kind, its
 * base URL, and its API key read from the vault (audited as `actor`).
 */
export function createModelResolver(
  options: ModelResolverOptions,
): (entry: ModelEntry) => Promise<LanguageModel> {
  return async (entry) => {
    const { rows } = await options.db.query<{ kind: string; base_url: string | null; key_id: string | null }>(
      'select kind, base_url, key_id from llm_providers where id = $1',
      [entry.providerId],
    );
    const p = rows[0];
    if (!p) throw new LlmError('LLM_INVALID_REQUEST', `provider ${entry.providerId} is not in the catalog`);
    let apiKey: string | undefined;
    if (p.key_id) {
      if (!options.vault)
        throw new LlmError(
          'LLM_AUTH',
          `provider ${entry.providerId} needs key ${p.key_id}, and no vault is configured (COGO_VAULT_MASTER_KEY)`,
        );
      apiKey = (await options.vault.get(p.key_id, { actor: options.actor })).secret;
    }
    const timeout = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
    if (p.kind === 'anthropic') {
      if (!apiKey) throw new LlmError('LLM_AUTH', `provider ${entry.providerId} (anthropic) has no key`);
      return createAnthropicModel({
        provider: entry.providerId,
        ...(p.base_url ? { baseUrl: p.base_url } : {}),
        model: entry.model,
        apiKey,
        ...timeout,
      });
    }
    if (!p.base_url)
      throw new LlmError('LLM_INVALID_REQUEST', `provider ${entry.providerId} has no base URL`);
    return createOpenAICompatibleModel({
      provider: entry.providerId,
      baseUrl: p.base_url,
      model: entry.model,
      ...(apiKey ? { apiKey } : {}),
      ...timeout,
    });
  };
}
