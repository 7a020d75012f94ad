import {
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
  type Transport,
} from '@modelcontextprotocol/server';
import type { Request, Response } from 'express';
import { sendJsonRpcError } from './jsonRpcError.js';

type Message = Record<string, unknown>;

/**
 * What the SDK's Protocol will take `message` for, tested with the SDK's own guards, so a request
 * counted here is a request Protocol answers; undefined for anything Protocol would drop, which
 * must be refused before it is dispatched.
 */
function classifyMessage(message: unknown): 'request' | 'notification' | 'response' | undefined {
  // Protocol's own order, but a message with neither `result` nor `error` cannot pass either response
  // guard, and for requests, the common case, two failed schema checks are skipped.
  const mayRespond = typeof message === 'object' && message !== null && ('result' in message || 'error' in message);
  if (mayRespond && (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message))) return 'response';
  if (isJSONRPCRequest(message)) return 'request';
  if (isJSONRPCNotification(message)) return 'notification';
  return undefined;
}

/**
 * The 2025-era Streamable HTTP transport for one stateless POST answered with plain JSON (no SSE),
 * kept because it is measurably cheaper than the SDK's web-standard transport for the same job
 * (BENCHMARKS.md): the messages of the request go to the MCP server, its responses are collected,
 * and `dispatch` resolves with the answer body once every request in it has been answered.
 * Notifications the server emits meanwhile have no stream to go to and are dropped; requests
 * that ask for progress are served by the SDK's transport instead. The protocol itself
 * (dispatch, validation, results, errors) stays in the SDK's Server.
 */
export class LegacyJsonTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  readonly sessionId = undefined;

  readonly #answers = new Map<RequestId, JSONRPCMessage | undefined>();
  #finish: (() => void) | undefined;
  #closed = false;

  async start(): Promise<void> {}

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.onclose?.();
    // Nothing will be answered any more: let dispatch settle rather than hang.
    this.#finish?.();
  }

  async send(message: JSONRPCMessage): Promise<void> {
    // The server only ever sends its own well-formed messages: responses carry no method.
    const reply = message as Message;
    if (typeof reply.method === 'string') return;
    const id = reply.id as RequestId;
    if (!this.#answers.has(id) || this.#answers.get(id) !== undefined) return;
    this.#answers.set(id, message);
    for (const answer of this.#answers.values()) if (answer === undefined) return;
    this.#finish?.();
  }

  /**
   * Hands the messages to the server. Resolves with the response (an array for a batch), or
   * undefined when there was nothing to answer (only notifications or responses: HTTP 202) or
   * the transport was closed first (the client went away).
   */
  dispatch(messages: readonly Message[], requests: readonly Message[], batch: boolean): Promise<JSONRPCMessage | JSONRPCMessage[] | undefined> {
    for (const request of requests) this.#answers.set(request.id as RequestId, undefined);
    const answered =
      this.#answers.size === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            this.#finish = resolve;
          });
    for (const message of messages) this.onmessage?.(message as JSONRPCMessage);
    return answered.then(() => {
      if (this.#answers.size === 0 || this.#closed) return undefined;
      const answers = [...this.#answers.values()] as JSONRPCMessage[];
      return batch ? answers : answers[0];
    });
  }
}

/**
 * The checks the Streamable HTTP transport makes before it hands messages on; answers the request
 * and returns undefined when one fails, else returns the messages and which of them are requests.
 */
export function acceptedMessages(req: Request, res: Response): { messages: Message[]; requests: Message[] } | undefined {
  const accept = req.headers.accept;
  if (!accept?.includes('application/json') || !accept.includes('text/event-stream')) {
    sendJsonRpcError(res, 406, -32000, 'Not Acceptable: the client must accept both application/json and text/event-stream.');
    return undefined;
  }
  const messages: unknown[] = Array.isArray(req.body) ? req.body : [req.body];
  const requests: Message[] = [];
  for (const message of messages) {
    const kind = classifyMessage(message);
    if (kind === undefined) {
      sendJsonRpcError(res, 400, -32600, 'Invalid Request: not a JSON-RPC 2.0 request, notification or response.');
      return undefined;
    }
    if (kind === 'request') requests.push(message as Message);
  }
  if (messages.length > 1 && requests.some((message) => message.method === 'initialize')) {
    sendJsonRpcError(res, 400, -32600, 'Invalid Request: initialize must be sent on its own.');
    return undefined;
  }
  return { messages: messages as Message[], requests };
}
