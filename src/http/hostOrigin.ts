import type { RequestHandler } from 'express';
import { sendJsonRpcError } from './jsonRpcError.js';

/** Which `Host` and `Origin` headers the MCP endpoint accepts: the DNS-rebinding defence. */
export interface HostOriginPolicy {
  /** Host names (port-agnostic) or host:port pairs; undefined accepts any Host. */
  readonly allowedHosts: readonly string[] | undefined;
  /** Exact origins, or `*` for any. */
  readonly allowedOrigins: readonly string[];
  /** Also accept http(s) origins on localhost, 127.0.0.1 or [::1], on any port. */
  readonly allowLoopbackOrigins: boolean;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** `[::1]` → `::1`: a URL's hostname keeps the brackets of an IPv6 literal. */
export function withoutBrackets(host: string): string {
  return host.replace(/^\[|\]$/g, '');
}

export function isLoopbackAddress(host: string): boolean {
  const name = withoutBrackets(host.toLowerCase());
  return name === 'localhost' || name === '::1' || /^127(\.\d{1,3}){3}$/.test(name);
}

/**
 * The policy for a server bound to `bindHost`: the operator's lists when given; otherwise, on a
 * loopback binding only localhost names and origins, and on any other binding any Host but no
 * browser origin. With OAuth on, the host of PUBLIC_URL (`publicHost`) is allowed too: it is the
 * name the operator says clients use.
 */
export function resolveHostOriginPolicy(
  bindHost: string,
  allowedHosts: readonly string[],
  allowedOrigins: readonly string[],
  publicHost?: string,
): HostOriginPolicy {
  const loopback = isLoopbackAddress(bindHost);
  const hosts = allowedHosts.length > 0 ? allowedHosts : loopback ? LOOPBACK_NAMES : undefined;
  return {
    allowedHosts: hosts && publicHost && !hosts.includes(publicHost) ? [...hosts, publicHost] : hosts,
    allowedOrigins,
    allowLoopbackOrigins: allowedOrigins.length === 0 && loopback,
  };
}

/** `example.com:8080` → `example.com`; `[::1]:3000` → `[::1]`. */
function hostnameOf(host: string): string {
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0]!;
}

export function hostAllowed(policy: HostOriginPolicy, hostHeader: string | undefined): boolean {
  if (policy.allowedHosts === undefined) return true;
  if (!hostHeader) return false;
  const host = hostHeader.toLowerCase();
  const name = hostnameOf(host);
  return policy.allowedHosts.some((entry) => (entry.includes(':') && !entry.endsWith(']') ? entry === host : entry === name));
}

export function originAllowed(policy: HostOriginPolicy, origin: string): boolean {
  if (policy.allowedOrigins.includes('*')) return true;
  const normalised = origin.toLowerCase();
  if (policy.allowedOrigins.includes(normalised)) return true;
  if (!policy.allowLoopbackOrigins) return false;
  try {
    const url = new URL(normalised);
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackAddress(url.hostname);
  } catch {
    return false;
  }
}

function shown(value: string): string {
  return JSON.stringify(value.replace(/[^\x20-\x7e]/g, '?').slice(0, 100));
}

/**
 * Refuses, with 403 and a JSON error body, a request whose `Host` is not allowed or whose `Origin`
 * is present and not allowed. Requests without `Origin` (every non-browser client) pass the origin check.
 */
export function hostOriginGuard(policy: HostOriginPolicy): RequestHandler {
  return (req, res, next) => {
    const host = req.headers.host;
    if (!hostAllowed(policy, host)) {
      sendJsonRpcError(res, 403, -32000, `Forbidden: Host ${shown(host ?? '')} is not allowed here (see MCP_ALLOWED_HOSTS).`);
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !originAllowed(policy, origin)) {
      sendJsonRpcError(res, 403, -32000, `Forbidden: Origin ${shown(origin)} is not allowed here (see MCP_ALLOWED_ORIGINS).`);
      return;
    }
    next();
  };
}
