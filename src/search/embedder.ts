/**
 * The embedding port: turns texts into fixed-length vectors for vector retrieval. Adapters:
 * `local-embedder.ts` (built in, offline) and `openai-compatible-embedder.ts` (any `/v1/embeddings` server).
 */
export interface Embedder {
  /** Model name stored beside each vector; a different name (or dimension) means re-embedding. */
  readonly model: string;
  readonly dimension: number;
  /** One vector per text, in order, each `dimension` long. */
  embed(texts: readonly string[], options?: { readonly signal?: AbortSignal }): Promise<number[][]>;
}
