/** What the middlewares learn about one request, kept on `res.locals` for the request's lifetime only. */
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      /** This request's id (X-Request-Id), in every log line of the request. */
      requestId: string;
      /** The caller's bearer key: handed to the MCP server of this request, never logged or kept. */
      apiKey?: string;
      /** Fingerprint of the key, for per-key counting; never reversible to the key. */
      keyFingerprint?: string;
      /** No key was sent and anonymous discovery let the request through (no tools/call). */
      anonymous?: boolean;
      /** JSON-RPC method of the request, for the request log. */
      rpcMethod?: string;
      /** Tool name of a tools/call, for the request log (only names this server offers). */
      tool?: string;
      /** How the tool call ended, for the request log. */
      toolOutcome?: string;
    }
  }
}

export {};
