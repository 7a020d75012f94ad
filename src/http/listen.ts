import { createServer, IncomingMessage, ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface RunningHttpServer {
  readonly server: Server;
  /** Base URL on which the server answers, e.g. http://127.0.0.1:3000. */
  readonly url: string;
  readonly port: number;
  /**
   * Stops accepting connections and lets requests in flight finish for up to `drainMs`; then calls
   * `atDeadline` (which should make every request still open answer now), gives the answers a
   * moment to leave, and cuts whatever is left. Resolves once every connection is gone.
   */
  close(drainMs: number, atDeadline?: () => void): Promise<void>;
}

export interface ListenLimits {
  /** Open connections accepted at once; further ones are refused. */
  readonly maxConnections: number;
  /** Milliseconds a client has to send a whole request (headers and body). */
  readonly uploadTimeoutMs: number;
}

/** How long answers given at the drain deadline have to leave before connections are cut. */
const LAST_ANSWERS_MS = 1_000;

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Node's request and response classes, but with the prototypes Express gives every request. Express
 * swaps the prototype of each request and response it handles (Object.setPrototypeOf), which
 * throws them off V8's fast paths for the rest of their life; objects born with the right
 * prototype make that swap a no-op. Measured: a bare Express 5 route answering GET at 65 instead
 * of 119 µs of CPU per request (BENCHMARKS.md).
 */
function expressShapedClasses(app: Express): { IncomingMessage: typeof IncomingMessage; ServerResponse: typeof ServerResponse } {
  function ExpressRequest(this: IncomingMessage, ...args: ConstructorParameters<typeof IncomingMessage>): void {
    IncomingMessage.apply(this, args);
  }
  ExpressRequest.prototype = app.request;
  function ExpressResponse(this: ServerResponse, ...args: ConstructorParameters<typeof ServerResponse>): void {
    ServerResponse.apply(this, args);
  }
  ExpressResponse.prototype = app.response;
  return { IncomingMessage: ExpressRequest as unknown as typeof IncomingMessage, ServerResponse: ExpressResponse as unknown as typeof ServerResponse };
}

export async function listen(app: Express, host: string, port: number, limits?: ListenLimits): Promise<RunningHttpServer> {
  const server = createServer(
    {
      ...expressShapedClasses(app),
      // A slow or unfinished upload is cut at the time limit, whatever it has sent; answers may take
      // longer (waits), since these bound only what the client sends. Node checks every second.
      ...(limits ? { headersTimeout: limits.uploadTimeoutMs, requestTimeout: limits.uploadTimeoutMs, connectionsCheckingInterval: 1_000 } : {}),
    },
    app,
  );
  // Longer than the idle timeout of common load balancers, so they close first.
  server.keepAliveTimeout = 65_000;
  if (limits) server.maxConnections = limits.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    server,
    port: actualPort,
    url: `http://${urlHost(host)}:${actualPort}`,
    close(drainMs, atDeadline) {
      closing ??= new Promise<void>((resolve) => {
        // While draining, connections close as soon as their response is done instead of being
        // kept alive for a next request: new answers say Connection: close, and idle ones are swept.
        server.on('request', (_req, res) => {
          res.shouldKeepAlive = false;
        });
        const sweep = setInterval(() => server.closeIdleConnections(), 100);
        let cut: NodeJS.Timeout | undefined;
        const deadline = setTimeout(() => {
          atDeadline?.();
          cut = setTimeout(() => server.closeAllConnections(), atDeadline ? LAST_ANSWERS_MS : 0);
          cut.unref();
        }, drainMs);
        deadline.unref();
        server.close(() => {
          clearInterval(sweep);
          clearTimeout(deadline);
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
