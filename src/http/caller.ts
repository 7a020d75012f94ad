import type { Caller, ProtocolEra } from '../mcp/caller.js';

/**
 * What the Authorization header of a request held, read once by readCredentials: nothing,
 * something that is not a bearer credential, an API key, or (with OAuth on) an access token of
 * this service, which resolveAccessToken then turns into the key sealed inside it or refuses.
 * Either way a key arrives, `fingerprint` is the key's own, so one key is one tenant.
 */
export type Credentials =
  | { readonly kind: 'none' }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'key'; readonly apiKey: string; readonly fingerprint: string; readonly via: 'header' | 'oauth' }
  | { readonly kind: 'sealed'; readonly token: string }
  | { readonly kind: 'invalid_token'; readonly problem: string };

/**
 * Everything the HTTP layer learns about one request, in one typed object on `res.locals.caller`
 * for the request's lifetime only. Each middleware fills in what it owns, in the order of app.ts.
 */
export interface HttpCaller {
  /**
   * This request's id (X-Request-Id), in every log line of the request. Replaced once by
   * resolveAccessToken when the caller's id turns out to contain the key sealed in its token.
   */
  requestId: string;
  /**
   * The client's address as per-address limits count it: its IP (behind TRUST_PROXY proxies, from
   * X-Forwarded-For), an IPv6 address by its /56 network.
   */
  readonly clientAddress: string;
  /** Set by readCredentials, before anything else looks at the caller; resolved by resolveAccessToken. */
  credentials: Credentials;
  /** Set once the body has been classified: the protocol era, the JSON-RPC method and tool. */
  era?: ProtocolEra;
  rpcMethod?: string;
  tool?: string;
  /** How the tool call ended, for the request log. */
  toolOutcome?: string;
}

/** The view of the caller that the request's MCP server gets. */
export function mcpCaller(caller: HttpCaller, era: ProtocolEra): Caller {
  const key = caller.credentials.kind === 'key' ? caller.credentials : undefined;
  return { apiKey: key?.apiKey, fingerprint: key?.fingerprint, requestId: caller.requestId, era };
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      caller: HttpCaller;
    }
  }
}
