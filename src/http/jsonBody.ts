import type { Request, RequestHandler, Response } from 'express';
import getRawBody from 'raw-body';
import { sendJsonRpcError } from './jsonRpcError.js';

/**
 * Largest body a client may send: the largest legitimate message is a 2025-03-26 JSON-RPC batch of
 * 10 flux_get_tasks_batch calls of 50 ids each, about 70 KB; a single call is well under 10 KB.
 */
export const MAX_BODY_BYTES = 128 * 1024;
/** Deepest nesting of objects and arrays a message may have (real messages stay under 10). */
export const MAX_JSON_DEPTH = 32;
/** Most values (array elements and object members) a whole message may hold (a 10-call batch: under 800). */
export const MAX_JSON_VALUES = 4096;

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

/**
 * Nesting depth and number of values of a JSON text, counted in one pass over its bytes without
 * building anything; stops as soon as either passes its bound. Values are counted as containers
 * plus separators, which is one per element or member.
 */
export function jsonShape(bytes: Uint8Array, maxDepth: number, maxValues: number): 'ok' | 'too_deep' | 'too_many_values' {
  let depth = 0;
  let values = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (inString) {
      if (byte === 0x5c) i++;
      else if (byte === 0x22) inString = false;
      continue;
    }
    if (byte === 0x22) inString = true;
    else if (byte === 0x7b || byte === 0x5b) {
      if (++depth > maxDepth) return 'too_deep';
      if (++values > maxValues) return 'too_many_values';
    } else if (byte === 0x7d || byte === 0x5d) depth--;
    else if (byte === 0x2c && ++values > maxValues) return 'too_many_values';
  }
  return 'ok';
}

interface RawBodyError {
  type?: string;
}

function refuse(req: Request, res: Response, status: number, code: number, message: string): void {
  // The answer goes out at once; the rest of the upload is discarded as it arrives (never
  // buffered), so the client can read the answer, and an upload that never ends is cut by the
  // upload time limit (HTTP_UPLOAD_TIMEOUT).
  req.resume();
  sendJsonRpcError(res, status, code, message);
}

/**
 * Reads a JSON body with its cost bounded before anything walks it: identity encoding only (415),
 * UTF-8 only (415), at most MAX_BODY_BYTES (413, answered as soon as the body passes the cap,
 * without reading the rest), then at most MAX_JSON_DEPTH levels and MAX_JSON_VALUES values (400,
 * -32600), checked on the bytes; only then is it parsed (400, -32700 when it is not JSON).
 * Bodies of other content types are left unread, so the MCP layer can answer them with 415.
 */
export function jsonBody(): RequestHandler {
  return (req, res, next) => {
    const contentType = String(req.headers['content-type'] ?? '');
    if (!JSON_TYPE.test(contentType.split(';')[0]!.trim())) {
      req.body = undefined;
      next();
      return;
    }
    const encoding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity') {
      refuse(req, res, 415, -32600, 'Unsupported Content-Encoding: send the JSON body uncompressed.');
      return;
    }
    const charset = /;\s*charset\s*=\s*"?([\w-]+)/i.exec(contentType)?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      refuse(req, res, 415, -32600, 'Unsupported body charset: send UTF-8 JSON.');
      return;
    }
    getRawBody(req, { length: req.headers['content-length'], limit: MAX_BODY_BYTES }, (error: RawBodyError | null, raw: Buffer) => {
      if (error) {
        if (error.type === 'entity.too.large') refuse(req, res, 413, -32600, `Request body too large: the limit is ${MAX_BODY_BYTES / 1024} KiB.`);
        else refuse(req, res, 400, -32600, 'The request body was cut short.');
        return;
      }
      const shape = jsonShape(raw, MAX_JSON_DEPTH, MAX_JSON_VALUES);
      if (shape !== 'ok') {
        const why = shape === 'too_deep' ? `nests deeper than ${MAX_JSON_DEPTH} levels` : `holds more than ${MAX_JSON_VALUES} values`;
        sendJsonRpcError(res, 400, -32600, `Invalid Request: the message ${why}.`);
        return;
      }
      try {
        req.body = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
      } catch {
        sendJsonRpcError(res, 400, -32700, 'Parse error: the request body is not valid JSON.');
        return;
      }
      next();
    });
  };
}
