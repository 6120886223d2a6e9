/**
 * Message Envelope v1 (docs/specs/MESSAGE_SCHEMA_V1.md): the one shape of every job payload and
 * every message between processes. The envelope's fields are fixed here; each message type
 * registers the zod schema of its payload, so a reader validates both before acting.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CogoError } from './errors.ts';

const NAME = /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$/;
const KEY = /^[\x21-\x7e]+$/;

/** A dotted lower-case name: `index.project`, `chat.answer`, `worker.index`. */
const nameSchema = z.string().min(1).max(100).regex(NAME, 'must be dotted lower-case words');
/** An opaque printable-ASCII id without spaces (uuids, request ids, content hashes, `a:b` keys). */
const keySchema = z.string().min(1).max(200).regex(KEY, 'must be printable ASCII without spaces');

/** The envelope with its payload unchecked (`payload` must be a JSON object). */
export const envelopeSchema = z.strictObject({
  id: z.uuid(),
  type: nameSchema,
  version: z.number().int().min(1).max(1000),
  source: nameSchema,
  target: nameSchema,
  correlation_id: keySchema,
  causation_id: keySchema.nullable(),
  idempotency_key: keySchema,
  created_at: z.iso.datetime({ offset: true }),
  payload: z.record(z.string(), z.unknown()),
});

/** An envelope whose payload has been validated as `P`. */
export type Envelope<P = Record<string, unknown>> = Omit<z.infer<typeof envelopeSchema>, 'payload'> & {
  readonly payload: P;
};

/** A message type: its name, its payload version, and the zod schema of its payload. */
export interface MessageType<P> {
  readonly type: string;
  readonly version: number;
  readonly payload: z.ZodType<P>;
}

/**
 * Declares a message type. `version` is the version of this type's payload; a reader accepts only
 * the versions registered with it.
 *
 * @example
 * const indexProject = defineMessageType({
 *   type: 'index.project',
 *   payload: z.strictObject({ root: z.string(), project: z.string() }),
 * });
 */
export function defineMessageType<P>(definition: {
  readonly type: string;
  readonly version?: number;
  readonly payload: z.ZodType<P>;
}): MessageType<P> {
  const type = nameSchema.parse(definition.type);
  return { type, version: definition.version ?? 1, payload: definition.payload };
}

/** An envelope that fails validation; `issues` name each bad field (`payload.root: ...`). */
export class EnvelopeError extends CogoError {
  readonly issues: readonly string[];

  constructor(issues: readonly string[], options: { cause?: unknown } = {}) {
    super('ENVELOPE_INVALID', `invalid message envelope: ${issues.join('; ')}`, {
      cause: options.cause,
      isRetryable: false,
    });
    this.name = 'EnvelopeError';
    this.issues = issues;
  }
}

function describeIssues(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map(
    (i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(root)'}: ${i.message}`,
  );
}

export interface CreateEnvelopeOptions<P> {
  readonly source: string;
  readonly target: string;
  readonly payload: P;
  /** What makes two sends the same message: a second send with this key is the same job. */
  readonly idempotencyKey: string;
  /** The message that caused this one; its correlation id is carried over and its id becomes the causation id. */
  readonly cause?: Pick<Envelope<unknown>, 'id' | 'correlation_id'> | undefined;
  /** The correlation id of a root message (default: its own id); ignored when `cause` is given. */
  readonly correlationId?: string | undefined;
  readonly id?: string | undefined;
  readonly now?: Date | undefined;
}

/** Builds a valid envelope of `messageType`, validating the payload; throws `EnvelopeError` if it is not. */
export function createEnvelope<P>(
  messageType: MessageType<P>,
  options: CreateEnvelopeOptions<P>,
): Envelope<P> {
  const id = options.id ?? randomUUID();
  const raw = {
    id,
    type: messageType.type,
    version: messageType.version,
    source: options.source,
    target: options.target,
    correlation_id: options.cause?.correlation_id ?? options.correlationId ?? id,
    causation_id: options.cause?.id ?? null,
    idempotency_key: options.idempotencyKey,
    created_at: (options.now ?? new Date()).toISOString(),
    payload: options.payload,
  };
  const base = envelopeSchema.safeParse(raw);
  if (!base.success) throw new EnvelopeError(describeIssues(base.error));
  const payload = messageType.payload.safeParse(options.payload);
  if (!payload.success) throw new EnvelopeError(describeIssues(payload.error, 'payload'));
  return { ...base.data, payload: payload.data };
}

/**
 * The message types a reader accepts, by type and version. `parse` validates an incoming envelope
 * and its payload; everything it rejects is an `EnvelopeError` (a worker dead-letters it as
 * `INVALID_INPUT`).
 */
export class EnvelopeRegistry {
  readonly #types = new Map<string, MessageType<unknown>>();

  /** Adds a message type; registering one type and version twice is a programming error. */
  register(messageType: MessageType<unknown>): this {
    const key = `${messageType.type}@${messageType.version}`;
    if (this.#types.has(key)) throw new Error(`message type ${key} is already registered`);
    this.#types.set(key, messageType);
    return this;
  }

  /** The registered type, or undefined. */
  get(type: string, version: number): MessageType<unknown> | undefined {
    return this.#types.get(`${type}@${version}`);
  }

  /**
   * Parses a message received as text (a NOTIFY payload, a line on a socket) and validates it like
   * `parse`; text that is not JSON is an `EnvelopeError` too.
   */
  decode(text: string): Envelope<unknown> {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (cause) {
      throw new EnvelopeError([`(root): not JSON: ${(cause as Error).message}`], { cause });
    }
    return this.parse(raw);
  }

  /** Validates `raw` as an envelope of a registered type; throws `EnvelopeError` listing every problem. */
  parse(raw: unknown): Envelope<unknown> {
    const base = envelopeSchema.safeParse(raw);
    if (!base.success) throw new EnvelopeError(describeIssues(base.error));
    const messageType = this.get(base.data.type, base.data.version);
    if (!messageType)
      throw new EnvelopeError([
        `type: no message type ${base.data.type} version ${base.data.version} is registered`,
      ]);
    const payload = messageType.payload.safeParse(base.data.payload);
    if (!payload.success) throw new EnvelopeError(describeIssues(payload.error, 'payload'));
    return { ...base.data, payload: payload.data };
  }
}
