import cors from 'cors';
import type { RequestHandler } from 'express';

/**
 * CORS for browser-based MCP clients. Runs after the host/origin guard, so any Origin that gets
 * here is allowed and is echoed back. Exposes the headers a client must read (the auth challenge,
 * session id and protocol version) and answers preflight requests.
 */
export function mcpCors(): RequestHandler {
  const corsMiddleware = cors({
    origin: true,
    methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Accept', 'Mcp-Protocol-Version', 'Mcp-Session-Id', 'Last-Event-ID', 'X-Request-Id'],
    exposedHeaders: ['WWW-Authenticate', 'Mcp-Session-Id', 'Mcp-Protocol-Version', 'X-Request-Id'],
    maxAge: 600,
  });
  // Only browsers send Origin; every other client skips the CORS work.
  return (req, res, next) => (req.headers.origin === undefined ? next() : corsMiddleware(req, res, next));
}
