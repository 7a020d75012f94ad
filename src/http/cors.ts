import cors from 'cors';
import type { RequestHandler } from 'express';

/**
 * CORS for browser-based MCP clients. Runs after the host/origin guard, so any Origin that gets
 * here is allowed and is echoed back. Allows the headers both protocol eras send (2026-07-28 adds
 * Mcp-Method and Mcp-Name), exposes the ones a client must read (the auth challenge, protocol
 * version, request id and rate-limit state) and answers preflight requests.
 */
export function mcpCors(): RequestHandler {
  const corsMiddleware = cors({
    origin: true,
    methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowedHeaders: [
      'Authorization',
      'Content-Type',
      'Accept',
      'Mcp-Protocol-Version',
      'Mcp-Method',
      'Mcp-Name',
      'Mcp-Session-Id',
      'Last-Event-ID',
      'X-Request-Id',
    ],
    exposedHeaders: ['WWW-Authenticate', 'Mcp-Session-Id', 'Mcp-Protocol-Version', 'X-Request-Id', 'RateLimit', 'RateLimit-Policy', 'Retry-After'],
    maxAge: 600,
  });
  // Only browsers send Origin; every other client skips the CORS work.
  return (req, res, next) => (req.headers.origin === undefined ? next() : corsMiddleware(req, res, next));
}
