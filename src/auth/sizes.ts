/**
 * How much of what clients send this server keeps, and how large what it hands out may grow.
 * The bounds are chosen together so that nothing the server seals outgrows MAX_SEALED_LENGTH,
 * and an /oauth/authorize URL with the largest client_id, a redirect URI and the other
 * parameters stays near 8 KiB, what proxies and browsers commonly accept.
 */

/** Characters of any sealed value (client_id, consent form, code, token); anything longer is refused before any crypto runs. */
export const MAX_SEALED_LENGTH = 8192;

/** Characters of a client_id sealed at registration: a registration that would seal longer is refused. */
export const MAX_REGISTERED_CLIENT_ID_LENGTH = 4096;

/** Characters of a Client ID Metadata Document URL used as client_id (canonical, so ASCII). */
export const MAX_CLIENT_ID_URL_LENGTH = 2048;

/** Bytes (UTF-8) of one redirect URI, registered or listed in a metadata document. */
export const MAX_REDIRECT_URI_BYTES = 2048;

/** Redirect URIs a client may register; of a metadata document's list, the first ones are used. */
export const MAX_REDIRECT_URIS = 20;

/** Characters of `state` (printable ASCII, RFC 6749 Appendix A.5), echoed back to the client. */
export const MAX_STATE_LENGTH = 1024;

const MAX_CLIENT_NAME = 100;

/** A client's `client_name` as shown on the consent page: trimmed, at most 100 characters; undefined when there is none. */
export function clientName(value: unknown): string | undefined {
  const name = typeof value === 'string' ? value.trim().slice(0, MAX_CLIENT_NAME) : '';
  return name === '' ? undefined : name;
}
