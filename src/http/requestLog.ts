import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import { routeLabel } from './routeLabel.js';

/**
 * One log line per request, written when the response is done: method, path, protocol era,
 * how the key came (header or oauth), JSON-RPC method, tool, status, duration and the request id. Headers, query strings and bodies are never logged,
 * and paths only as routeLabel gives them.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const done = () => {
      const status = res.statusCode;
      const caller = res.locals.caller;
      const line = {
        request_id: caller.requestId,
        method: req.method,
        path: routeLabel(req.path),
        era: caller.era,
        auth: caller.credentials.kind === 'key' ? caller.credentials.via : undefined,
        rpc_method: caller.rpcMethod,
        tool: caller.tool,
        tool_outcome: caller.toolOutcome,
        status,
        aborted: res.writableFinished ? undefined : true,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
      };
      if (status >= 500) logger.error(line, 'request');
      else logger.info(line, 'request');
    };
    // 'close' comes after 'finish', and also when the connection drops before the answer is done.
    res.once('close', done);
    next();
  };
}
