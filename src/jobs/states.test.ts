import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CogoError, EnvelopeError } from '../core/index.ts';
import { classifyFailure, JobFailure } from './errors.ts';
import { canTransition, JOB_STATES, TERMINAL_STATES, TRANSITIONS } from './states.ts';

describe('the job state machine', () => {
  it('allows exactly the documented transitions', () => {
    const edges = JOB_STATES.flatMap((from) => TRANSITIONS[from].map((to) => `${from}>${to}`));
    expect(edges.sort()).toEqual(
      [
        'queued>active',
        'queued>cancelled',
        'active>succeeded',
        'active>failed',
        'active>cancelled',
        'failed>retrying',
        'failed>dead',
        'retrying>active',
        'retrying>cancelled',
        'dead>queued',
      ].sort(),
    );
    expect(canTransition(undefined, 'queued')).toBe(true);
    expect(canTransition(undefined, 'active')).toBe(false);
    expect(canTransition('succeeded', 'queued')).toBe(false);
  });

  it('leaves a terminal state only by a redrive of a dead job', () => {
    for (const state of TERMINAL_STATES)
      expect(TRANSITIONS[state]).toEqual(state === 'dead' ? ['queued'] : []);
  });
});

describe('classifyFailure', () => {
  it('retries plain and retryable errors, and takes a JobFailure at its word', () => {
    expect(classifyFailure(new Error('boom'))).toEqual({ retryable: true, reason: 'MAX_ATTEMPTS' });
    expect(classifyFailure(new CogoError('X', 'x', { isRetryable: true })).retryable).toBe(true);
    expect(classifyFailure(new JobFailure('PARSE_ERROR', 'bad'))).toEqual({
      retryable: false,
      reason: 'PARSE_ERROR',
    });
    expect(classifyFailure(new JobFailure('PROVIDER_UNAVAILABLE', 'down', { isRetryable: true }))).toEqual({
      retryable: true,
      reason: 'PROVIDER_UNAVAILABLE',
    });
  });

  it('retries a handler that gave up at the end of its lease as TIMEOUT', () => {
    const signal = AbortSignal.abort(new DOMException('lease over', 'TimeoutError'));
    expect(classifyFailure(signal.reason)).toEqual({ retryable: true, reason: 'TIMEOUT' });
  });

  it('dead-letters invalid input at once', () => {
    expect(classifyFailure(new EnvelopeError(['payload: bad']))).toEqual({
      retryable: false,
      reason: 'INVALID_INPUT',
    });
    expect(classifyFailure(z.number().safeParse('x').error)).toEqual({
      retryable: false,
      reason: 'INVALID_INPUT',
    });
  });

  it('retries a CogoError that calls itself not retryable, since that is only its default', () => {
    expect(classifyFailure(new CogoError('DB_QUERY_FAILED', 'connection refused'))).toEqual({
      retryable: true,
      reason: 'MAX_ATTEMPTS',
    });
  });
});
