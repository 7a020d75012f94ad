import type { Response } from 'express';

/** Writes a JSON-RPC error envelope with an HTTP status: the shape MCP clients expect from the endpoint. */
export function sendJsonRpcError(
  res: Response,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  res.status(status).set(headers).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}
