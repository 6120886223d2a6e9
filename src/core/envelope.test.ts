import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEnvelope, defineMessageType, EnvelopeError, EnvelopeRegistry } from './envelope.ts';

const indexProject = defineMessageType({
  type: 'index.project',
  payload: z.strictObject({ root: z.string().min(1), project: z.string().min(1) }),
});

function rejection(fn: () => unknown): EnvelopeError {
  try {
    fn();
  } catch (error) {
    if (error instanceof EnvelopeError) return error;
    throw error;
  }
  throw new Error('expected an EnvelopeError');
}

describe('message envelope v1', () => {
  const registry = new EnvelopeRegistry().register(indexProject);

  it('builds a root envelope whose correlation id is its own id', () => {
    const e = createEnvelope(indexProject, {
      source: 'orchestrator',
      target: 'worker.index',
      payload: { root: '/repo', project: 'tsconfig.json' },
      idempotencyKey: 'index:abc',
    });
    expect(e.correlation_id).toBe(e.id);
    expect(e.causation_id).toBeNull();
    expect(registry.parse(JSON.parse(JSON.stringify(e)))).toEqual(e);
  });

  it('carries the correlation id of its cause and names the cause', () => {
    const parent = createEnvelope(indexProject, {
      source: 'cli',
      target: 'orchestrator',
      payload: { root: '/repo', project: 'a' },
      idempotencyKey: 'k1',
      correlationId: 'req-42',
    });
    const child = createEnvelope(indexProject, {
      source: 'orchestrator',
      target: 'worker.index',
      payload: { root: '/repo', project: 'b' },
      idempotencyKey: 'k2',
      cause: parent,
    });
    expect(child.correlation_id).toBe('req-42');
    expect(child.causation_id).toBe(parent.id);
  });

  it('rejects a payload that does not match its type, naming the field', () => {
    const error = rejection(() =>
      registry.parse({
        ...createEnvelope(indexProject, {
          source: 'cli',
          target: 'worker.index',
          payload: { root: '/r', project: 'p' },
          idempotencyKey: 'k',
        }),
        payload: { root: 7 },
      }),
    );
    expect(error.code).toBe('ENVELOPE_INVALID');
    expect(error.isRetryable).toBe(false);
    expect(error.issues.some((i) => i.startsWith('payload.root'))).toBe(true);
  });

  it('rejects an unregistered type or version, and anything that is not an envelope', () => {
    const e = createEnvelope(indexProject, {
      source: 'cli',
      target: 'worker.index',
      payload: { root: '/r', project: 'p' },
      idempotencyKey: 'k',
    });
    expect(rejection(() => registry.parse({ ...e, version: 2 })).issues[0]).toMatch(/version 2/);
    expect(rejection(() => registry.parse('hello')).issues).toHaveLength(1);
    expect(rejection(() => registry.parse({ ...e, extra: 1 })).issues[0]).toMatch(/extra/);
  });

  it('decodes a message sent as text, and rejects text that is not JSON', () => {
    const e = createEnvelope(indexProject, {
      source: 'worker.index',
      target: 'gateway',
      payload: { root: '/r', project: 'p' },
      idempotencyKey: 'k',
    });
    expect(registry.decode(JSON.stringify(e))).toEqual(e);
    expect(rejection(() => registry.decode('{not json')).issues[0]).toMatch(/not JSON/);
  });

  it('refuses to build an envelope without an idempotency key', () => {
    expect(
      rejection(() =>
        createEnvelope(indexProject, {
          source: 'cli',
          target: 'worker.index',
          payload: { root: '/r', project: 'p' },
          idempotencyKey: '',
        }),
      ).issues[0],
    ).toMatch(/^idempotency_key/);
  });
});
