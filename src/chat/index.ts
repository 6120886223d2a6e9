/**
 * chat: evidence gathering by the evidence policy, the answerers (LLM through the router, built-in
 * from the graph), citation verification, critics and the self-correction loop, sessions and feedback.
 */
export type {
  AnswerCallbacks,
  Answerer,
  AnswerInput,
  Draft,
  HistoryTurn,
  ModelUsage,
  Revision,
} from './answerer.ts';
export {
  type AskEvent,
  type AskInput,
  type AskOptions,
  type AskOutcome,
  askRag,
  DEFAULT_MAX_ROUNDS,
} from './ask.ts';
export { BUILTIN_ANSWERER, composeBuiltinAnswer, createBuiltinAnswerer } from './builtin-answerer.ts';
export {
  CHAT_WIRE_EVENTS,
  type ChatPublisher,
  type ChatSubscription,
  type ChatWireEvent,
  type ChatWireEventType,
  chatChannel,
  chatEventMessage,
  createChatPublisher,
  type FollowOptions,
  followAnswer,
  subscribeChatEvents,
} from './chat-events.ts';
export { chatAnswerHandler, chatAnswerJob, chatAnswerKey, chatAnswerMessage } from './chat-job.ts';
export {
  type AnswerOptions,
  type AskResult,
  type ChatService,
  type ChatServiceOptions,
  createChatService,
  type FeedbackInput,
  MAX_QUESTION_CHARS,
  type Submitted,
} from './chat-service.ts';
export {
  CITATION_FAILURES,
  type CitationCheck,
  type CitationFailure,
  type RejectedCitation,
  verifyCitations,
} from './citations.ts';
export {
  ANSWER_STATUSES,
  type AnswerStatus,
  type Citation,
  citationSchema,
  type LlmResponse,
  llmResponseJsonSchema,
  llmResponseSchema,
  RESPONSE_VERSION,
} from './contract.ts';
export {
  CRITIC_NAMES,
  CRITIC_OUTCOMES,
  type CriticName,
  type CriticOutcome,
  type CriticReport,
  type CriticResult,
  citationCritic,
  compileCritic,
  contractCritic,
  criticResultSchema,
  criticRoundSchema,
  groundednessCritic,
  runCritics,
} from './critics.ts';
export { CHAT_ERROR_CODES, ChatError, type ChatErrorCode } from './errors.ts';
export {
  contentWords,
  DEFAULT_EVIDENCE_BUDGET_TOKENS,
  EVIDENCE_KINDS,
  type EvidenceItem,
  type EvidenceKind,
  type EvidenceSet,
  type GatherOptions,
  gatherEvidence,
} from './evidence.ts';
export { formatAnswer } from './format.ts';
export {
  buildPrompt,
  CHAT_SERVICE,
  createLlmAnswerer,
  LLM_ANSWERER,
  type LlmAnswererOptions,
  parseReply,
} from './llm-answerer.ts';
export {
  type ClassifiedQuestion,
  classifyQuestion,
  QUESTION_INTENTS,
  type QuestionIntent,
} from './question.ts';
export { createRepoReader, type RepoFile, type RepoReader, resolveInsideRepo } from './repo-files.ts';
export { type SelectAnswererOptions, selectAnswerer } from './select-answerer.ts';
export {
  type ChatMessageRecord,
  type ChatSession,
  type ChatSummary,
  chatSummary,
  type FeedbackRecord,
  MESSAGE_STATUSES,
  type MessageStatus,
} from './store.ts';
