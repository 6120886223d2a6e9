/** chat: the answer contract now; evidence, answerers, critics and streaming come with issue 5. */
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
