import type { CogoConfig } from '../core/index.ts';
import type { Embedder } from './embedder.ts';
import { createLocalEmbedder } from './local-embedder.ts';
import { createOpenAICompatibleEmbedder } from './openai-compatible-embedder.ts';

/** The embedder the configuration names: the built-in local one, or an OpenAI-compatible server. */
export function createEmbedder(config: CogoConfig['embedding']): Embedder {
  if (config.provider === 'local') return createLocalEmbedder({ dimension: config.dimension });
  return createOpenAICompatibleEmbedder({
    baseUrl: config.baseUrl,
    apiKey: config.apiKey,
    model: config.model,
    dimension: config.dimension,
  });
}
