import { NodeStreamableHTTPServerTransport, toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, type AuthInfo, type Server } from '@modelcontextprotocol/server';
import type { Request, RequestHandler, Response } from 'express';
import type { ProtocolEra } from '../mcp/caller.js';
import { createMcpServer, type McpServerDeps } from '../mcp/server.js';
import type { ToolCallReport } from '../mcp/toolRegistry.js';
import { mcpCaller, type HttpCaller } from './caller.js';
import { MAX_BODY_BYTES } from './jsonBody.js';
import { sendJsonRpcError } from './jsonRpcError.js';

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
 * removed methods, cache hints, resultType. 2025-era requests go to the SDK's Streamable HTTP
 * transport in its stateless mode, answered as JSON unless progress is asked for. Either way a
 * fresh MCP server is built for the request's own caller, and never shared.
 */
export function mcpEndpoint(deps: McpServerDeps & { onToolCall?: (report: ToolCallReport, era: ProtocolEra) => void }): McpEndpoint {
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
  const serveModern = toNodeHandler(modern, { onerror: (error) => logger.error({ err: error }, 'mcp request failed') });

  async function serveLegacy(req: Request, res: Response, server: Server): Promise<void> {
    const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: !wantsEventStream(req.body) });
    // Closing a server aborts its running handlers (a wait, an upstream call): only for a client that left early.
    res.once('close', () => {
      if (!res.writableFinished) void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  }

  return {
    post: (req, res) => {
      const caller = res.locals.caller;
      const exchange: Exchange = {
        caller,
        onToolCall: (report) => {
          caller.toolOutcome = report.outcome;
          deps.onToolCall?.(report, caller.era ?? 'legacy');
          if (report.outcome === 'internal_error') {
            logger.error({ err: report.error, tool: report.tool, request_id: caller.requestId }, 'tool failed');
          }
        },
      };
      if (caller.era === 'legacy') {
        serveLegacy(req, res, serverFor(exchange, 'legacy')).catch((error: unknown) => {
          logger.error({ err: error, request_id: caller.requestId }, 'mcp request failed');
          if (!res.headersSent) sendJsonRpcError(res, 500, -32603, 'Internal error while handling the MCP request.');
        });
        return;
      }
      const apiKey = caller.credentials.kind === 'key' ? caller.credentials.apiKey : '';
      const auth: AuthInfo = { token: apiKey, clientId: 'flux-mcp', scopes: [], extra: { exchange } };
      (req as Request & { auth?: AuthInfo }).auth = auth;
      void serveModern(req, res, req.body);
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
