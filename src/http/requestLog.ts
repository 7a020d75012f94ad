import type { RequestHandler } from 'express';

/**
 * One log line per request, written when the response is done: method, path, JSON-RPC method,
 * tool, status and duration, with the request id bound in by requestContext. Headers, query
 * strings and bodies are never logged.
 */
export function requestLog(): RequestHandler {
  return (req, res, next) => {
    const logger = res.locals.logger;
    const started = performance.now();
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      const status = res.statusCode;
      const line = {
        method: req.method,
        path: req.path,
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
