import pg from 'pg';

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;
const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;

/** A channel name safe to write into LISTEN/UNLISTEN (they take no parameters). */
export function checkChannel(channel: string): string {
  if (!CHANNEL.test(channel)) throw new Error(`invalid channel name ${JSON.stringify(channel)}`);
  return channel;
}

interface Subscriber {
  readonly onPayload: (payload: string) => void;
  readonly onGap: (() => void) | undefined;
}

/** One LISTEN connection to a server for every channel of a `Db`, reconnecting when it is lost. */
export interface Listener {
  listen(
    channel: string,
    onPayload: (payload: string) => void,
    onGap?: () => void,
  ): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export function createListener(connectionString: string): Listener {
  const channels = new Map<string, Set<Subscriber>>();
  let client: pg.Client | undefined;
  let connecting: Promise<pg.Client> | undefined;
  let closed = false;
  let delayMs = RECONNECT_MIN_MS;
  let timer: NodeJS.Timeout | undefined;

  const lost = (which: pg.Client) => {
    if (client !== which && connecting === undefined) return;
    if (client === which) client = undefined;
    which.removeAllListeners();
    which.on('error', () => undefined);
    which.end().catch(() => undefined);
    for (const subs of channels.values()) for (const s of subs) s.onGap?.();
    if (!closed && channels.size > 0 && !timer) {
      timer = setTimeout(() => {
        timer = undefined;
        connect().catch(() => undefined);
      }, delayMs);
      delayMs = Math.min(RECONNECT_MAX_MS, delayMs * 2);
    }
  };

  const connect = (): Promise<pg.Client> => {
    if (client) return Promise.resolve(client);
    if (connecting) return connecting;
    connecting = (async () => {
      const c = new pg.Client({ connectionString });
      c.on('error', () => lost(c));
      c.on('end', () => lost(c));
      c.on('notification', (n) => {
        for (const s of channels.get(n.channel) ?? []) s.onPayload(n.payload ?? '');
      });
      try {
        await c.connect();
        for (const channel of channels.keys()) await c.query(`listen ${channel}`);
      } catch (error) {
        connecting = undefined;
        lost(c);
        throw error;
      }
      client = c;
      connecting = undefined;
      delayMs = RECONNECT_MIN_MS;
      return c;
    })();
    return connecting;
  };

  return {
    async listen(channel, onPayload, onGap) {
      if (closed) throw new Error('the listener is closed');
      checkChannel(channel);
      const sub: Subscriber = { onPayload, onGap };
      let subs = channels.get(channel);
      const first = !subs;
      if (!subs) {
        subs = new Set();
        channels.set(channel, subs);
      }
      subs.add(sub);
      const c = await connect();
      if (first) await c.query(`listen ${channel}`);
      return async () => {
        const current = channels.get(channel);
        if (!current?.delete(sub) || current.size > 0) return;
        channels.delete(channel);
        await client?.query(`unlisten ${channel}`).catch(() => undefined);
      };
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      channels.clear();
      const c = client ?? (connecting ? await connecting.catch(() => undefined) : undefined);
      client = undefined;
      if (c) {
        c.removeAllListeners();
        c.on('error', () => undefined);
        await c.end().catch(() => undefined);
      }
    },
  };
}
