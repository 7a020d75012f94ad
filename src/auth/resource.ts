import { checkResourceAllowed } from '@modelcontextprotocol/server';
import type { OAuthSettings } from './oauthSettings.js';

/**
 * The resource (RFC 8707) a request names, as the one resource this server issues tokens for:
 * `PUBLIC_URL/mcp` (or a path below it, by the SDK's rule), or the bare origin; absent means this
 * resource too. Null when it names anything else: the caller answers `invalid_target`.
 */
export function canonicalResource(oauth: OAuthSettings, requested: string | undefined): string | null {
  if (requested === undefined) return oauth.resource;
  let url: URL;
  try {
    url = new URL(requested);
  } catch {
    return null;
  }
  if (url.hash || requested.includes('#')) return null;
  if (checkResourceAllowed({ requestedResource: url, configuredResource: oauth.resource })) return oauth.resource;
  if (url.origin === new URL(oauth.issuer).origin && url.pathname === '/' && url.search === '') return oauth.resource;
  return null;
}
