/** Which protocol family a request speaks: 2026-07-28 (`modern`) or 2024-11-05 … 2025-11-25 (`legacy`). */
export type ProtocolEra = 'modern' | 'legacy';

/**
 * Who is calling, for one HTTP request or one stdio connection: built once where the request
 * enters, then handed to that request's MCP server. It holds the key only as long as the request.
 */
export interface Caller {
  /** The AceDataCloud API key to pass upstream; absent for anonymous discovery. */
  readonly apiKey: string | undefined;
  /** A non-reversible fingerprint of the key: what per-key limits and cancellation match on. */
  readonly fingerprint: string | undefined;
  /** The request's id (HTTP) or a per-connection id (stdio), for log lines and the upstream. */
  readonly requestId: string;
  /** The protocol era the request or connection speaks. */
  readonly era: ProtocolEra;
}
