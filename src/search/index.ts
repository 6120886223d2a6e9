/**
 * search: chunking along the knowledge graph's symbols and the docs' headings, keyword vectors with
 * identifier splitting, embeddings behind the `Embedder` port, and hybrid retrieval with fusion.
 */
export {
  type ChunkCoverage,
  type ChunkText,
  computeChunkCoverage,
  type FileLineCoverage,
  fileLineCoverage,
} from './chunk-coverage.ts';
export { type Chunk, type ChunkLimits, chunkCode, chunkMarkdown, DEFAULT_CHUNK_LIMITS } from './chunker.ts';
export { createEmbedder } from './create-embedder.ts';
export type { Embedder } from './embedder.ts';
export { EmbeddingError, VectorScanError } from './errors.ts';
export { formatSearchIndexReport, formatSearchResult } from './format.ts';
export { DOC_INCLUDE, indexSearch, type SearchIndexOptions, type SearchIndexReport } from './indexer.ts';
export { createLocalEmbedder, type LocalEmbedderOptions } from './local-embedder.ts';
export {
  createOpenAICompatibleEmbedder,
  type OpenAICompatibleEmbedderOptions,
} from './openai-compatible-embedder.ts';
export {
  BM25,
  codeWordsOf,
  DEFAULT_FUSION,
  DEFAULT_LANGUAGES,
  DEFAULT_RRF_K,
  DEFAULT_WEIGHTS,
  FIELD_BOOST,
  FUSION_MODES,
  type FusionMode,
  KEYWORD_POSTINGS_PER_TERM,
  keywordCandidates,
  type NameMatch,
  type ScoreBreakdown,
  type SearchHit,
  type SearchOptions,
  type SearchResult,
  type SearchWeights,
  searchCode,
  VECTOR_PATHS,
  type VectorPath,
} from './retrieve.ts';
export { chunkFileHashes } from './store.ts';
export { documentFrequencies } from './terms.ts';
export { codeTokens, splitIdentifier } from './tokens.ts';
export {
  DEFAULT_VECTOR_MEMORY_BYTES,
  type VectorScanStatus,
  vectorScanStatus,
  warmVectorScan,
} from './vector-scan.ts';
