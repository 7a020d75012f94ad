import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';

const ROUTES = new Set(['/mcp', '/healthz', '/readyz', '/metrics']);

/**
 * One log line per request, written when the response is done: method, path, JSON-RPC method,
 * tool, status, duration and the request id. Headers, query strings and bodies are never logged,
 * and a path other than the service's own routes is logged as "other": a caller could put
 * anything in it, a key included.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      const status = res.statusCode;
      const line = {
        request_id: res.locals.requestId,
        method: req.method,
        path: ROUTES.has(req.path) ? req.path : 'other',
        rpc_method: res.locals.rpcMethod,
        tool: res.locals.tool,
        tool_outcome: res.locals.toolOutcome,
        status,
        aborted: res.writableFinished ? undefined : true,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
      };
      if (status >= 500) logger.error(line, 'request');
      else logger.info(line, 'request');
    };
    res.once('finish', done);
    res.once('close', done);
    next();
  };
}
