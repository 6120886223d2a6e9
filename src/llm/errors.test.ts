import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  classifyHttpFailure,
  describeCauseChain,
  findNetworkErrorCode,
  type HttpFailure,
  LlmError,
  parseRetryAfter,
  redactedCause,
} from './errors.ts';

const NOW = Date.parse('2026-11-24T12:00:00Z');

describe('parseRetryAfter', () => {
  it('reads delay-seconds, whole or fractional, as milliseconds', () => {
    expect(parseRetryAfter('3', NOW)).toBe(3_000);
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter('1.5', NOW)).toBe(1_500);
    expect(parseRetryAfter(' 20 ', NOW)).toBe(20_000);
  });

  it('reads an HTTP date as the time left until it, and a past date as 0', () => {
    expect(parseRetryAfter('Tue, 24 Nov 2026 12:00:10 GMT', NOW)).toBe(10_000);
    expect(parseRetryAfter(new Date(NOW + 90_000).toUTCString(), NOW)).toBe(90_000);
    expect(parseRetryAfter('Tue, 24 Nov 2026 11:59:00 GMT', NOW)).toBe(0);
  });

  it('returns undefined for an absent or malformed value', () => {
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
    expect(parseRetryAfter('', NOW)).toBeUndefined();
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
  });
});

describe('classifyHttpFailure', () => {
  const failure = (status: number, message = '', more: Partial<HttpFailure> = {}): HttpFailure => ({
    status,
    message,
    provider: 'openai',
    model: 'gpt-test',
    ...more,
  });

  beforeEach(() => {
    vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('makes a 429 a retryable LLM_RATE_LIMITED with Retry-After in seconds or as a date', () => {
    const seconds = classifyHttpFailure(
      failure(429, 'Rate limit reached', { headers: new Headers({ 'retry-after': '7' }) }),
    );
    expect(seconds).toBeInstanceOf(LlmError);
    expect(seconds).toMatchObject({ code: 'LLM_RATE_LIMITED', isRetryable: true, status: 429 });
    expect(seconds.retryAfterMs).toBe(7_000);
    const date = classifyHttpFailure(
      failure(429, '', { headers: new Headers({ 'retry-after': new Date(NOW + 30_000).toUTCString() }) }),
    );
    expect(date.retryAfterMs).toBe(30_000);
    // OpenAI's millisecond header wins over the seconds one.
    const millis = classifyHttpFailure(
      failure(429, '', { headers: new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }) }),
    );
    expect(millis.retryAfterMs).toBe(250);
    const none = classifyHttpFailure(failure(429, '', { headers: new Headers() }));
    expect(none).toMatchObject({ code: 'LLM_RATE_LIMITED', isRetryable: true, retryAfterMs: undefined });
  });

  it('makes 5xx and Anthropic’s 529 retryable LLM_HTTP_ERRORs, keeping a Retry-After', () => {
    for (const status of [500, 502, 503, 504, 529]) {
      const error = classifyHttpFailure(failure(status, 'Overloaded'));
      expect(error).toMatchObject({ code: 'LLM_HTTP_ERROR', isRetryable: true, status });
    }
    expect(
      classifyHttpFailure(failure(503, '', { headers: new Headers({ 'retry-after': '2' }) })).retryAfterMs,
    ).toBe(2_000);
  });

  it('makes 401 and 403 a non-retryable LLM_AUTH', () => {
    for (const status of [401, 403]) {
      expect(classifyHttpFailure(failure(status, 'invalid x-api-key'))).toMatchObject({
        code: 'LLM_AUTH',
        isRetryable: false,
        status,
      });
    }
  });

  it('makes a 408 a retryable LLM_TIMEOUT', () => {
    expect(classifyHttpFailure(failure(408))).toMatchObject({ code: 'LLM_TIMEOUT', isRetryable: true });
  });

  it.each([
    "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
    'prompt is too long: 215000 tokens > 200000 maximum',
    'Input is too long for requested model.',
    'context_length_exceeded: the context window of this model is 32k',
  ])('recognises the context-window refusal %j', (message) => {
    expect(classifyHttpFailure(failure(400, message))).toMatchObject({
      code: 'LLM_CONTEXT_WINDOW',
      isRetryable: false,
      status: 400,
    });
  });

  it.each([
    'Your request was rejected as a result of our safety system.',
    "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
    'Invalid prompt: your prompt was flagged as potentially violating our usage policy.',
  ])('recognises the content-policy refusal %j', (message) => {
    expect(classifyHttpFailure(failure(400, message))).toMatchObject({
      code: 'LLM_CONTENT_POLICY',
      isRetryable: false,
    });
  });

  it('makes any other 4xx a non-retryable LLM_INVALID_REQUEST', () => {
    for (const status of [400, 404, 413, 422]) {
      expect(classifyHttpFailure(failure(status, 'temperature: must be <= 2'))).toMatchObject({
        code: 'LLM_INVALID_REQUEST',
        isRetryable: false,
        status,
      });
    }
  });

  it('names provider and model, keeps the cause and cuts a long provider message to 300 characters', () => {
    const cause = new Error('the SDK error');
    const error = classifyHttpFailure(failure(422, `bad ${'x'.repeat(1000)}`, { cause }));
    expect(error).toMatchObject({ provider: 'openai', model: 'gpt-test', cause });
    expect(error.message).toContain('openai/gpt-test');
    expect(error.message).toContain('422');
    expect(error.message.length).toBeLessThan(400);
    expect(error.name).toBe('LlmError');
  });
});

describe('cause-chain helpers', () => {
  const withCode = (message: string, code: string, cause?: unknown) =>
    Object.assign(new Error(message, { cause }), { code });

  it('finds the system or undici code undici hides under "fetch failed" or "terminated"', () => {
    const refused = new TypeError('fetch failed', {
      cause: withCode('connect ECONNREFUSED 127.0.0.1:9', 'ECONNREFUSED'),
    });
    expect(findNetworkErrorCode(refused)).toBe('ECONNREFUSED');
    expect(describeCauseChain(refused)).toBe('fetch failed: ECONNREFUSED connect ECONNREFUSED 127.0.0.1:9');
    const dropped = new TypeError('terminated', { cause: withCode('other side closed', 'UND_ERR_SOCKET') });
    expect(findNetworkErrorCode(dropped)).toBe('UND_ERR_SOCKET');
  });

  it('does not take a provider’s error code or a plain error for a network failure', () => {
    expect(findNetworkErrorCode(withCode('slow down', 'rate_limit_exceeded'))).toBeUndefined();
    expect(findNetworkErrorCode(new SyntaxError('Unexpected end of JSON input'))).toBeUndefined();
    expect(findNetworkErrorCode('ECONNRESET')).toBeUndefined();
  });

  it('keeps a cause that does not hold the key, and redacts one that does, message or body', () => {
    const key = 'sk-secret-123';
    const clean = new Error('429 slow down');
    expect(redactedCause(clean, key)).toBe(clean);
    const echoed = Object.assign(new Error(`401 Incorrect API key provided: ${key}`), {
      error: { message: `Incorrect API key provided: ${key}` },
    });
    const copy = redactedCause(echoed, key) as Error;
    expect(copy).not.toBe(echoed);
    expect(String(copy)).toBe('Error: 401 Incorrect API key provided: [redacted]');
    const inBodyOnly = Object.assign(new Error('401'), { error: { detail: key } });
    expect(redactedCause(inBodyOnly, key)).not.toBe(inBodyOnly);
    expect(redactedCause(echoed, undefined)).toBe(echoed);
  });
});
