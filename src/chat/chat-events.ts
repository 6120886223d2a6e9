/**
 * Answer events across processes: the process answering a message (a chat worker) publishes its
 * events with NOTIFY on the message's own channel; whichever gateway holds the client's stream
 * listens there. Each notice has its publisher's id and a sequence number, so a subscriber sees a
 * gap or a duplicate, and a worker that takes over starts a new sequence; the
 * final state is always the `chat_messages` row, read when `final` arrives or a gap is reported.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { createEnvelope, defineMessageType, EnvelopeRegistry } from '../core/index.ts';
import type { Db } from '../db/index.ts';
import type { AskEvent } from './ask.ts';

export const CHAT_WIRE_EVENTS = ['delta', 'restart', 'critics', 'final'] as const;
export type ChatWireEventType = (typeof CHAT_WIRE_EVENTS)[number];

/** One notice on a message's channel. `final` carries no data: read the message row. */
export interface ChatWireEvent {
  /** The publisher (one run of an answer): a takeover by another worker starts a new sequence. */
  readonly pub: string;
  readonly seq: number;
  readonly type: ChatWireEventType;
  readonly data: Readonly<Record<string, unknown>>;
}

/**
 * The notice as it crosses processes: a Message Envelope v1 (docs/specs/MESSAGE_SCHEMA_V1.md) of
 * type `chat.event`, correlated to the answer's message id, its payload the event.
 */
export const chatEventMessage = defineMessageType({
  type: 'chat.event',
  payload: z.strictObject({
    message_id: z.uuid(),
    pub: z.string().min(1).max(64),
    seq: z.number().int().min(1),
    type: z.enum(CHAT_WIRE_EVENTS),
    data: z.record(z.string(), z.unknown()),
  }),
});
const registry = new EnvelopeRegistry();
registry.register(chatEventMessage);

// NOTIFY payloads are limited to 8000 bytes; text is cut well below (JSON escapes can double it).
const MAX_DELTA_CHARS = 1500;
const MAX_PAYLOAD_BYTES = 7900;

/** The channel of one message: `cogo_chat_` and its uuid without dashes. */
export function chatChannel(messageId: string): string {
  const hex = messageId.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new Error(`not a message id: ${messageId}`);
  return `cogo_chat_${hex}`;
}

export interface ChatPublisher {
  /** Queues an answer event; long deltas become several notices. */
  publish(event: AskEvent): void;
  /** Queues `final` and resolves when every notice is sent. */
  finish(): Promise<void>;
}

/** Publishes one message's events in order (each NOTIFY commits before the next is sent). */
export function createChatPublisher(
  db: Db,
  messageId: string,
  onError?: (error: unknown) => void,
): ChatPublisher {
  const channel = chatChannel(messageId);
  const pub = randomUUID().slice(0, 8);
  let seq = 0;
  let queue: Promise<void> = Promise.resolve();
  const envelope = (notice: ChatWireEvent) =>
    JSON.stringify(
      createEnvelope(chatEventMessage, {
        source: 'worker.chat',
        target: 'gateway',
        correlationId: messageId,
        idempotencyKey: `chat:event:${messageId}:${notice.pub}:${notice.seq}`,
        payload: { message_id: messageId, ...notice, data: { ...notice.data } },
      }),
    );
  const send = (type: ChatWireEventType, data: Record<string, unknown>) => {
    const notice: ChatWireEvent = { pub, seq: ++seq, type, data };
    let payload = envelope(notice);
    if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES)
      payload = envelope({ ...notice, data: { truncated: true } });
    queue = queue
      .then(async () => {
        await db.query('select pg_notify($1, $2)', [channel, payload]);
      })
      .catch((error) => onError?.(error));
  };
  return {
    publish(event) {
      if (event.type === 'delta')
        for (let i = 0; i < event.text.length; i += MAX_DELTA_CHARS)
          send('delta', { text: event.text.slice(i, i + MAX_DELTA_CHARS) });
      else if (event.type === 'restart') send('restart', { reason: event.reason });
      else if (event.type === 'critics') send('critics', { round: event.round, results: event.results });
    },
    finish() {
      send('final', {});
      return queue;
    },
  };
}

export interface ChatSubscription {
  close(): Promise<void>;
}

/**
 * Listens to one message's events. `onGap` is called when notices may have been lost (the listen
 * connection dropped, or a sequence number was skipped): read the message row to catch up.
 */
export async function subscribeChatEvents(
  db: Db,
  messageId: string,
  handlers: { onEvent: (event: ChatWireEvent) => void; onGap: () => void },
): Promise<ChatSubscription> {
  let publisher: string | undefined;
  let last = 0;
  const stop = await db.listen(
    chatChannel(messageId),
    (payload) => {
      // A notice that is not a valid chat.event envelope of this message counts as lost.
      let event: ChatWireEvent;
      try {
        const p = registry.decode(payload).payload as z.infer<typeof chatEventMessage.payload>;
        if (p.message_id !== messageId) throw new Error('a notice of another message');
        event = { pub: p.pub, seq: p.seq, type: p.type, data: p.data };
      } catch {
        handlers.onGap();
        return;
      }
      if (event.pub !== publisher) {
        publisher = event.pub;
        last = 0;
      }
      if (event.seq <= last) return;
      if (event.seq !== last + 1) handlers.onGap();
      last = event.seq;
      handlers.onEvent(event);
    },
    handlers.onGap,
  );
  return { close: stop };
}

export interface FollowOptions {
  /** Events as they arrive (not `final`: the returned row is the final state). */
  readonly onEvent?: (event: ChatWireEvent) => void;
  readonly signal?: AbortSignal;
  /** How often the row is read as a safety net for a lost `final`; default 1 s. */
  readonly pollMs?: number;
  /** Give up after this long; the message stays as it is (pending, streaming) for a later read. */
  readonly timeoutMs?: number;
  /** Called once the subscription is in place: dispatch the answer from here, so nothing is missed. */
  readonly onListening?: () => Promise<void> | void;
}

const FINAL_STATUSES = new Set(['complete', 'failed']);

/**
 * Follows a message being answered elsewhere until its row is final, passing its events on.
 * Subscribe before the answer is dispatched, so no notice is missed; the row is read at once (the
 * answer may be final already), on every gap, on `final`, and every `pollMs`. The final text is the
 * row's: after a gap the streamed text may lack pieces.
 */
export async function followAnswer<M extends { status: string }>(
  db: Db,
  messageId: string,
  readMessage: () => Promise<M | null>,
  options: FollowOptions = {},
): Promise<M> {
  const pollMs = options.pollMs ?? 1000;
  return new Promise<M>((resolve, reject) => {
    let done = false;
    let subscription: ChatSubscription | undefined;
    const timers: NodeJS.Timeout[] = [];
    const finish = (error: unknown, message?: M) => {
      if (done) return;
      done = true;
      for (const t of timers) clearTimeout(t);
      void subscription?.close().catch(() => undefined);
      if (message) resolve(message);
      else reject(error);
    };
    const check = () => {
      void readMessage()
        .then((m) => {
          if (m && FINAL_STATUSES.has(m.status)) finish(undefined, m);
        })
        .catch((error) => finish(error));
    };
    options.signal?.addEventListener('abort', () => finish(new Error('aborted')), { once: true });
    if (options.timeoutMs)
      timers.push(
        setTimeout(
          () => finish(new Error(`no final answer within ${options.timeoutMs} ms`)),
          options.timeoutMs,
        ),
      );
    const poll = () => {
      if (done) return;
      check();
      timers.push(setTimeout(poll, pollMs));
    };
    subscribeChatEvents(db, messageId, {
      onEvent: (e) => {
        if (e.type === 'final') check();
        else options.onEvent?.(e);
      },
      onGap: check,
    })
      .then(async (s) => {
        subscription = s;
        if (done) return void s.close().catch(() => undefined);
        await options.onListening?.();
        poll();
      })
      .catch((error) => finish(error));
  });
}
