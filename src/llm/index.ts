/** llm: the language-model port and its adapters, the router, the executing client, catalog and costs. */

export { type AnthropicModelOptions, createAnthropicModel } from './anthropic-model.ts';
export {
  applyCatalog,
  applyPrices,
  type Catalog,
  catalogSchema,
  type PriceFile,
  type PriceReport,
  priceFileSchema,
  type SpendRow,
  spendReport,
} from './catalog.ts';
export { createRouter, type Router, type RouterOptions } from './create-router.ts';
export {
  classifyHttpFailure,
  LLM_ERROR_CODES,
  LlmError,
  type LlmErrorCode,
  parseRetryAfter,
} from './errors.ts';
export { PROBE_SERVICE, type ProbeOptions, type ProbeResult, probeHealth } from './health.ts';
export {
  createKeyVault,
  type KeyMetadata,
  type KeyVault,
  type KeyVaultOptions,
  type PutKeyOptions,
  parseMasterKey,
  VAULT_ERROR_CODES,
  VaultError,
  type VaultErrorCode,
  type VaultKey,
} from './key-vault.ts';
export type {
  ChatMessage,
  ChatRequest,
  ChatResult,
  ChatRole,
  ChatStreamPart,
  FinishReason,
  JsonResponseFormat,
  LanguageModel,
  TokenUsage,
} from './language-model.ts';
export {
  type ChainStep,
  type CompleteOptions,
  createLlmClient,
  DEFAULT_CIRCUIT,
  DEFAULT_FIRST_TOKEN_TIMEOUT_MS,
  DEFAULT_RETRY,
  type LlmClient,
  type LlmClientOptions,
  type LlmResponse,
} from './llm-client.ts';
export { createOpenAICompatibleModel, type OpenAICompatibleModelOptions } from './openai-compatible-model.ts';
export { createModelResolver, type ModelResolverOptions } from './resolve-model.ts';
export {
  type CandidateReport,
  DEFAULT_SCORE_WEIGHTS,
  defaultPolicy,
  FILTER_REASONS,
  type FilterReason,
  type HealthEntry,
  type ModelEntry,
  type RankResult,
  type RouteRequest,
  type RoutingPolicy,
  rankCandidates,
  SCORE_VERSIONS,
  type ScoreVersion,
  type ScoreWeights,
} from './router.ts';
export {
  DEFAULT_HEALTH_WINDOW,
  type HealthWindow,
  refreshHealth,
  upsertModel,
  upsertPolicy,
  upsertProvider,
} from './store.ts';
