import type { LlmClient } from '../llm/index.ts';
import type { Answerer } from './answerer.ts';
import { createBuiltinAnswerer } from './builtin-answerer.ts';
import { ChatError } from './errors.ts';
import { CHAT_SERVICE, createLlmAnswerer } from './llm-answerer.ts';

export interface SelectAnswererOptions {
  /** `auto`: the LLM when the router can route service `chat` now, else the built-in answerer. */
  readonly mode: 'auto' | 'builtin' | 'llm';
  readonly llm?: LlmClient;
  readonly intendedModel?: string;
}

/** Picks the answerer: the built-in one needs nothing; the LLM one needs a routable `chat` deployment. */
export async function selectAnswerer(options: SelectAnswererOptions): Promise<Answerer> {
  if (options.mode === 'builtin') return createBuiltinAnswerer();
  const llm = options.llm;
  const routable =
    llm !== undefined &&
    (await llm.select(CHAT_SERVICE, { inputTokens: 4000, maxOutputTokens: 2000 })).selectedModelId !== null;
  if (routable)
    return createLlmAnswerer({
      llm,
      ...(options.intendedModel ? { intendedModel: options.intendedModel } : {}),
    });
  if (options.mode === 'llm')
    throw new ChatError(
      'ANSWER_FAILED',
      'CHAT_ANSWERER=llm, but the router has no deployment for service "chat" (cogo llm catalog, cogo llm select chat)',
    );
  return createBuiltinAnswerer();
}
