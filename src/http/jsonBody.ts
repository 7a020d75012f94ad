import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { sendJsonRpcError } from './jsonRpcError.js';

export const MAX_BODY_BYTES = 4 * 1024 * 1024;

interface BodyParserError {
  type?: string;
  status?: number;
}

/**
 * Parses a JSON body of at most 4 MiB. An oversized body is answered 413 and malformed JSON 400
 * with JSON-RPC error -32700, both as JSON without any stack trace. Bodies of other content types
 * pass through unread, so the MCP transport can answer them with 415.
 */
export function jsonBody(): [RequestHandler, ErrorRequestHandler] {
  const parse = express.json({ limit: MAX_BODY_BYTES });
  const explain: ErrorRequestHandler = (error: BodyParserError, _req, res, next) => {
    switch (error.type) {
      case 'entity.too.large':
        sendJsonRpcError(res, 413, -32600, `Request body too large: the limit is ${MAX_BODY_BYTES / 1024 / 1024} MiB.`);
        return;
      case 'entity.parse.failed':
        sendJsonRpcError(res, 400, -32700, 'Parse error: the request body is not valid JSON.');
        return;
      case 'encoding.unsupported':
      case 'charset.unsupported':
        sendJsonRpcError(res, 415, -32600, 'Unsupported body encoding: send UTF-8 JSON.');
        return;
      case 'request.aborted':
      case 'request.size.invalid':
        sendJsonRpcError(res, 400, -32600, 'The request body was cut short.');
        return;
      default:
        next(error);
    }
  };
  return [parse, explain];
}
