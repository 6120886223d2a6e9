import { CogoError } from '../core/index.ts';

export const CHAT_ERROR_CODES = [
  'PATH_OUTSIDE_REPO',
  'FILE_UNREADABLE',
  'SESSION_NOT_FOUND',
  'MESSAGE_NOT_FOUND',
  'INVALID_QUESTION',
  'INVALID_FEEDBACK',
  'ANSWER_FAILED',
] as const;
export type ChatErrorCode = (typeof CHAT_ERROR_CODES)[number];

/** A chat failure with a stable `code`; an answerer's own failure keeps its cause (an `LlmError`). */
export class ChatError extends CogoError {
  declare readonly code: ChatErrorCode;

  constructor(
    code: ChatErrorCode,
    message: string,
    options: { cause?: unknown; isRetryable?: boolean } = {},
  ) {
    super(code, message, options);
    this.name = 'ChatError';
  }
}
