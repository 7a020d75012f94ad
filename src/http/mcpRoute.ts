import { createMcpHandler, WebStandardStreamableHTTPServerTransport, type AuthInfo, type Server } from '@modelcontextprotocol/server';
import type { Request, RequestHandler, Response } from 'express';
import type { ProtocolEra } from '../mcp/caller.js';
import { createMcpServer, type McpServerDeps } from '../mcp/server.js';
import type { ToolCallReport } from '../mcp/toolRegistry.js';
import { mcpCaller, type HttpCaller } from './caller.js';
import { MAX_BODY_BYTES } from './jsonBody.js';
import { sendJsonRpcError } from './jsonRpcError.js';
import { acceptedMessages, LegacyJsonTransport } from './legacyJsonTransport.js';
import { sendWebResponse, webRequestOf } from './webExchange.js';

/** What one request hands to the server factory, through the SDK's pass-through `authInfo` on the modern path. */
interface Exchange {
  readonly caller: HttpCaller;
  readonly onToolCall: (report: ToolCallReport) => void;
}

export interface McpEndpoint {
  /** POST /mcp, after every check of app.ts has passed. */
  readonly post: RequestHandler;
  /** Ends the exchanges still in flight (shutdown). */
  close(): Promise<void>;
}

function asksForProgress(message: unknown): boolean {
  if (typeof message !== 'object' || message === null) return false;
  const meta = (message as { params?: { _meta?: { progressToken?: unknown } } }).params?._meta;
  return meta?.progressToken !== undefined && meta.progressToken !== null;
}

/**
 * A 2025-era answer comes as an SSE stream only when a message asks for progress notifications;
 * plain JSON otherwise, which is cheaper for client and server.
 */
function wantsEventStream(body: unknown): boolean {
  return Array.isArray(body) ? body.some(asksForProgress) : asksForProgress(body);
}

/**
 * POST /mcp: both protocol eras on one endpoint, routed on the SDK's own classification of the
 * request (made once, by classifyRequest). 2026-07-28 requests go to the SDK's `createMcpHandler`,
 * which serves them statelessly: server/discover, the `_meta` envelope, header checks, -32022,
 * removed methods, cache hints, resultType. 2025-era requests go to a fresh SDK Server over a
 * stateless transport: plain JSON through LegacyJsonTransport, or the SDK's own Streamable HTTP
 * transport when progress is asked for (an event stream). Either way a fresh MCP server is built
 * for the request's own caller, and never shared.
 */
export function mcpEndpoint(deps: McpServerDeps & { onToolCall?: (report: ToolCallReport, caller: HttpCaller) => void }): McpEndpoint {
  const { logger } = deps;
  const serverFor = (exchange: Exchange, era: ProtocolEra): Server => createMcpServer(deps, mcpCaller(exchange.caller, era), exchange.onToolCall);

  const modern = createMcpHandler(
    (context) => {
      const exchange = context.authInfo?.extra?.exchange as Exchange | undefined;
      if (!exchange) throw new Error('a request reached the MCP handler without its caller');
      return serverFor(exchange, context.era);
    },
    {
      legacy: 'reject',
      maxRequestBodySize: MAX_BODY_BYTES,
      // Refusals are answered and logged per request already; this only adds the SDK's reason.
      onerror: (error) => logger.debug({ err_message: error.message }, 'mcp handler reported'),
    },
  );
  async function serveModern(req: Request, res: Response, exchange: Exchange): Promise<void> {
    const apiKey = exchange.caller.credentials.kind === 'key' ? exchange.caller.credentials.apiKey : '';
    const authInfo: AuthInfo = { token: apiKey, clientId: 'flux-mcp', scopes: [], extra: { exchange } };
    await sendWebResponse(res, await modern.fetch(webRequestOf(req, res), { parsedBody: req.body, authInfo }));
  }

  /** A 2025-era request that asks for progress: the SDK's transport answers as an event stream. */
  async function serveLegacyStream(req: Request, res: Response, server: Server): Promise<void> {
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    // Closing a server aborts its running handlers (a wait, an upstream call): only for a client that left early.
    res.once('close', () => {
      if (!res.writableFinished) void server.close();
    });
    await server.connect(transport);
    await sendWebResponse(res, await transport.handleRequest(webRequestOf(req, res), { parsedBody: req.body }));
  }

  /** Any other 2025-era request: answered with plain JSON (or 202 when there is nothing to answer). */
  async function serveLegacyJson(req: Request, res: Response, server: Server): Promise<void> {
    const accepted = acceptedMessages(req, res);
    if (!accepted) return;
    const transport = new LegacyJsonTransport();
    // Closing a server aborts its running handlers and costs an Error with its stack trace: only
    // for a client that left before its answer.
    res.once('close', () => {
      if (!res.writableFinished) void transport.close();
    });
    await server.connect(transport);
    const answer = await transport.dispatch(accepted.messages, accepted.requests, Array.isArray(req.body));
    if (res.headersSent || res.destroyed) return;
    if (answer === undefined) {
      res.writeHead(202).end();
      return;
    }
    const body = JSON.stringify(answer);
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
  }

  return {
    post: (req, res) => {
      const caller = res.locals.caller;
      const exchange: Exchange = {
        caller,
        onToolCall: (report) => {
          caller.toolOutcome = report.outcome;
          deps.onToolCall?.(report, caller);
          if (report.outcome === 'internal_error') {
            logger.error({ err: report.error, tool: report.tool, request_id: caller.requestId }, 'tool failed');
          }
        },
      };
      const served =
        caller.era !== 'legacy'
          ? serveModern(req, res, exchange)
          : wantsEventStream(req.body) && req.headers.accept?.includes('text/event-stream')
            ? serveLegacyStream(req, res, serverFor(exchange, 'legacy'))
            : serveLegacyJson(req, res, serverFor(exchange, 'legacy'));
      served.catch((error: unknown) => {
        logger.error({ err: error, request_id: caller.requestId }, 'mcp request failed');
        if (!res.headersSent) sendJsonRpcError(res, 500, -32603, 'Internal error while handling the MCP request.');
        else res.destroy();
      });
    },
    close: () => modern.close(),
  };
}

/** GET and DELETE /mcp: this stateless server offers neither a standalone SSE stream nor sessions. */
export const mcpMethodNotAllowed: RequestHandler = (req, res) => {
  sendJsonRpcError(res, 405, -32000, `Method ${req.method} is not allowed on /mcp; send JSON-RPC messages with POST.`, {
    Allow: 'POST',
  });
};
