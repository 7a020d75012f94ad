import { isIP } from 'node:net';
import { isLoopbackAddress, withoutBrackets } from '../http/hostOrigin.js';
import { MAX_REDIRECT_URI_BYTES } from './sizes.js';

/** Characters no URI has (RFC 3986), all of which JSON would also escape: controls, space, DEL, `"`, `\`, lone surrogates. */
const NOT_IN_A_URI = /[\u0000-\u0020\u007f"\\]|\p{Cs}/u;

function parse(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

/**
 * A redirect URI a client may register (MCP "Communication Security"): https, or plain http on
 * a loopback host; absolute, without a fragment or credentials, at most 2,048 bytes, without
 * characters a URI cannot have (so it seals at its own size).
 */
export function acceptableRedirectUri(text: string): boolean {
  if (Buffer.byteLength(text, 'utf8') > MAX_REDIRECT_URI_BYTES || NOT_IN_A_URI.test(text)) return false;
  const url = parse(text);
  if (!url || url.hash || text.includes('#') || url.username || url.password) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && isLoopbackAddress(url.hostname);
}

/** An http redirect URI on a loopback IP literal (127.x.x.x or [::1]), whose port may change (OAuth 2.1 §8.4.2). */
export function isLoopbackIpRedirect(url: URL): boolean {
  return url.protocol === 'http:' && isIP(withoutBrackets(url.hostname)) !== 0 && isLoopbackAddress(url.hostname);
}

/**
 * Whether `requested` is the registered redirect URI `registered`: the same string, or, for a
 * loopback IP redirect URI, the same but for the port (native apps listen on any free port).
 */
export function redirectUriMatches(requested: string, registered: string): boolean {
  if (requested === registered) return true;
  const a = parse(requested);
  const b = parse(registered);
  if (!a || !b || !isLoopbackIpRedirect(a) || !isLoopbackIpRedirect(b)) return false;
  return a.hostname === b.hostname && a.pathname === b.pathname && a.search === b.search && !requested.includes('#');
}

/** The host (with port) a redirect URI sends the user back to, as the consent page shows it. */
export function redirectHost(uri: string): string {
  return parse(uri)?.host ?? uri;
}
