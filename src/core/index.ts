/** core: configuration, errors, logging, ids and the message envelope shared by every subsystem. Depends on nothing of ours. */
export {
  CHAT_ANSWERERS,
  CHAT_EXECUTIONS,
  CONFIG_DEFAULTS,
  type CogoConfig,
  EMBEDDING_PROVIDERS,
  loadConfig,
} from './config.ts';
export {
  type CreateEnvelopeOptions,
  createEnvelope,
  defineMessageType,
  type Envelope,
  EnvelopeError,
  EnvelopeRegistry,
  envelopeSchema,
  type MessageType,
} from './envelope.ts';
export {
  CogoError,
  ConfigError,
  describeCauseChain,
  errorMessage,
  parseRetryAfter,
  parseRetryAfterMs,
} from './errors.ts';
export { identifierParts } from './identifiers.ts';
export { sha256Hex, stableId } from './ids.ts';
export { createLogger, type Logger, type LoggerOptions } from './logger.ts';
