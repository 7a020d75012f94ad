import { createServer, IncomingMessage, ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface RunningHttpServer {
  readonly server: Server;
  /** Base URL on which the server answers, e.g. http://127.0.0.1:3000. */
  readonly url: string;
  readonly port: number;
  /**
   * Stops accepting connections, lets requests in flight finish for up to `drainMs`, then cuts
   * whatever is left. Resolves once every connection is gone.
   */
  close(drainMs: number): Promise<void>;
}

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

export async function listen(app: Express, host: string, port: number): Promise<RunningHttpServer> {
  const server = createServer(expressShapedClasses(app), app);
  // Longer than the idle timeout of common load balancers, so they close first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
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
    close(drainMs) {
      closing ??= new Promise<void>((resolve) => {
        // While draining, connections close as soon as their response is done instead of being
        // kept alive for a next request: new answers say Connection: close, and idle ones are swept.
        server.on('request', (_req, res) => {
          res.shouldKeepAlive = false;
        });
        const sweep = setInterval(() => server.closeIdleConnections(), 100);
        const cut = setTimeout(() => server.closeAllConnections(), drainMs);
        cut.unref();
        server.close(() => {
          clearInterval(sweep);
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
