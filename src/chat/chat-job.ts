/**
 * The chat job: a chat worker answers one pending message and publishes its events for the gateway
 * that streams it (docs/specs/MESSAGE_SCHEMA_V1.md for the envelope, JOB_STATE_MACHINE_V1.md for the
 * states). The gateway enqueues it with the idempotency key `chat:answer:<message id>`, so a
 * retried request is the same job.
 */
import { z } from 'zod';
import { defineMessageType } from '../core/index.ts';
import { defineJob, JobFailure, type JobHandler } from '../jobs/index.ts';
import type { ChatService } from './chat-service.ts';
import { ChatError } from './errors.ts';

export const chatAnswerMessage = defineMessageType({
  type: 'chat.answer',
  payload: z.strictObject({ messageId: z.uuid() }),
});

/** Three attempts 2 s, 4 s apart; a lease long enough for a slow model and two revisions. */
export const chatAnswerJob = defineJob(chatAnswerMessage, {
  maxAttempts: 3,
  retryDelaySeconds: 2,
  retryDelayMaxSeconds: 30,
  leaseSeconds: 300,
});

/** The idempotency key of a message's answer job. */
export const chatAnswerKey = (messageId: string) => `chat:answer:${messageId}`;

/**
 * Answers the message the job names. A provider failure before the last attempt fails the attempt
 * (`PROVIDER_UNAVAILABLE`, retried with backoff; the message goes back to pending); on the last
 * attempt it is stored on the message as `failed`. A message that is not there is `INVALID_INPUT`.
 */
export function chatAnswerHandler(chat: ChatService): JobHandler<{ messageId: string }> {
  return async (envelope, context) => {
    const last = context.attempt >= context.maxAttempts;
    try {
      await chat.answerPublished(envelope.payload.messageId, {
        signal: context.signal,
        rethrowRetryable: !last,
      });
    } catch (error) {
      if (error instanceof ChatError && error.code === 'MESSAGE_NOT_FOUND')
        throw new JobFailure('INVALID_INPUT', error.message, { cause: error });
      if (error instanceof ChatError && error.isRetryable)
        throw new JobFailure('PROVIDER_UNAVAILABLE', error.message, { cause: error, isRetryable: true });
      throw error;
    }
  };
}
