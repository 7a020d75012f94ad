import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';

type Message = Record<string, unknown>;

export type MessageKind = 'request' | 'notification' | 'response';

/**
 * What the SDK's Protocol will take `message` for, tested with the SDK's own guards in the order
 * Protocol tests them, so a request counted here is a request Protocol answers; undefined for
 * anything Protocol would drop, which must be refused before it is dispatched.
 */
export function classifyMessage(message: unknown): MessageKind | undefined {
  if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) return 'response';
  if (isJSONRPCRequest(message)) return 'request';
  if (isJSONRPCNotification(message)) return 'notification';
  return undefined;
}

/**
 * The Streamable HTTP transport for one stateless POST answered with plain JSON (no SSE): the
 * messages of the request go to the MCP server, its responses are collected, and `dispatch`
 * resolves with the answer body once every request in it has been answered. Notifications the
 * server emits meanwhile (progress, logs) have no stream to go to and are dropped; requests that
 * ask for progress are served by the SDK's SSE transport instead.
 *
 * It does the work the SDK's StreamableHTTPServerTransport does for this case without turning
 * Node's request and response into Web Request/Response objects and back: the body is parsed
 * once, by the JSON body middleware, and the answer is written straight to the Node response.
 */
export class JsonResponseTransport implements Transport {
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

  async send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
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
   * `requests` are the messages classifyMessage took for requests, with distinct ids.
   */
  dispatch(
    messages: readonly Message[],
    requests: readonly Message[],
    batch: boolean,
    extra: MessageExtraInfo,
  ): Promise<JSONRPCMessage | JSONRPCMessage[] | undefined> {
    for (const request of requests) this.#answers.set(request.id as RequestId, undefined);
    const answered =
      this.#answers.size === 0
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            this.#finish = resolve;
          });
    for (const message of messages) this.onmessage?.(message as JSONRPCMessage, extra);
    return answered.then(() => {
      if (this.#answers.size === 0 || this.#closed) return undefined;
      const answers = [...this.#answers.values()] as JSONRPCMessage[];
      return batch ? answers : answers[0];
    });
  }
}
