/**
 * kg: the knowledge graph of Code Base Objects (CBO v3): TypeScript extraction with the compiler
 * API, incremental indexing, graph queries, coverage gates and JSONL export.
 */
export {
  type ChunkLineCounter,
  COVERAGE_METRICS,
  type CoverageFigure,
  type CoverageMetric,
  type CoverageOptions,
  type CoverageReport,
  type CoverageThresholds,
  checkCoverageGate,
  computeCoverage,
  formatCoverage,
  type GateResult,
} from './coverage.ts';
export {
  computeDeclarationCoverage,
  DECLARATION_KINDS,
  type DeclarationCoverage,
  type DeclarationKind,
} from './declaration-coverage.ts';
export { type ExportResult, exportGraph } from './export.ts';
export {
  contentFingerprint,
  INDEX_REQUEST_STATES,
  type IndexRequest,
  type IndexRequestOptions,
  type IndexRequestState,
  requestIndex,
  selectIndexRequest,
} from './index-requests.ts';
export {
  describeTick,
  IndexOrchestrator,
  type IndexOrchestratorOptions,
  type IndexSagaHandlersOptions,
  type IndexSagaInput,
  indexSaga,
  indexSagaHandlers,
  indexSagaInput,
  type OrchestratorTick,
} from './index-saga.ts';
export { EXTRACTOR_VERSION, type IndexOptions, indexRepository } from './indexer.ts';
export {
  type CboField,
  type CboObject,
  type CboParam,
  type CboRelation,
  type CboReturns,
  cboObjectSchema,
  cboRelationSchema,
  LANGUAGES,
  OBJECT_KINDS,
  type ObjectKind,
  RELATION_KINDS,
  type RelationKind,
} from './model.ts';
export {
  countRelations,
  findDefinitions,
  formatGraphResult,
  GRAPH_QUERIES,
  type GraphHit,
  type GraphHits,
  type GraphHitsOptions,
  type GraphQuery,
  type GraphResult,
  indexedFileHashes,
  loadObjects,
  MAX_GRAPH_DEPTH,
  queryGraph,
  queryGraphFrom,
  type RelationCount,
  type RelationHit,
  relationsOf,
  walkRelations,
} from './queries.ts';
export { formatIndexReport, type IndexReport, type ProgressEvent } from './report.ts';
export { OBJECT_SELECT, type ObjectRow, rowToObject } from './rows.ts';
export {
  readIndexedFile,
  type ScannedFile,
  type ScanResult,
  type SkippedPath,
  scanRepository,
} from './scan.ts';
export {
  CONFIG_FILE_NAME,
  DEFAULT_SCOPE,
  loadScope,
  type Scope,
  ScopeConfigError,
  type ScopeMatcher,
  scopeMatcher,
} from './scope.ts';
export { standardTags, TAG_ROLES, type TagSubject } from './tags.ts';
export { CALL_OUTCOMES, type CallStats } from './ts/relations.ts';
