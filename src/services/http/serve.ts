import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';

/** Where and what `startGateway` serves. */
export interface StartGatewayOptions {
  /** What answers requests: a Hono app (`createGatewayApp`) or anything with a fetch handler. */
  readonly app: { fetch(request: Request): Response | Promise<Response> };
  /** 0 picks a free port; the running gateway reports the real one. */
  readonly port: number;
  /** Interface to bind; `127.0.0.1` by default (use `0.0.0.0` to accept remote clients). */
  readonly host?: string;
}

/** A listening gateway. */
export interface RunningGateway {
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  readonly host: string;
  /** Stops accepting connections and resolves once open requests have finished. */
  close(): Promise<void>;
}

function closeServer(server: ServerType): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error?: Error) => (error ? reject(error) : resolve()));
  });
}

/**
 * Serves `app` over HTTP on Node; resolves once the socket is listening (rejects if it cannot bind,
 * e.g. `EADDRINUSE`).
 *
 * @example
 * const gateway = await startGateway({ app: createGatewayApp({ db }), port: 8080 });
 * process.once('SIGTERM', () => void gateway.close());
 */
export function startGateway(options: StartGatewayOptions): Promise<RunningGateway> {
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: (request) => options.app.fetch(request), port: options.port, hostname: host },
      (info: AddressInfo) => {
        server.off('error', reject);
        resolve({ port: info.port, host, close: () => closeServer(server) });
      },
    );
    server.once('error', reject);
  });
}
