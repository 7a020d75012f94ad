import type { RequestHandler } from 'express';
import type { Metrics } from '../metrics.js';
import { ClientMetadataError } from './clientMetadataDocuments.js';
import { sendOAuthError } from './oauthError.js';
import type { OAuthSettings } from './oauthSettings.js';
import { acceptableRedirectUri } from './redirectUris.js';
import type { Opened } from './seal.js';
import { clientName, MAX_REDIRECT_URI_BYTES, MAX_REDIRECT_URIS, MAX_REGISTERED_CLIENT_ID_LENGTH } from './sizes.js';

/** A client as the authorization endpoint knows it. */
export interface OAuthClient {
  readonly clientId: string;
  /** The client's own name for itself, unverified. */
  readonly name: string | undefined;
  /** For a metadata-document client, the host its client id URL names (shown on the consent page). */
  readonly documentHost: string | undefined;
  readonly redirectUris: readonly string[];
}

/** What a dynamically registered client is sealed into its own client_id. */
interface RegisteredClientClaims {
  /** redirect_uris */
  readonly ru: string[];
  /** client_name */
  readonly cn?: string;
}


export type ClientLookup =
  | { readonly ok: true; readonly client: OAuthClient }
  | { readonly ok: false; readonly reason: 'unknown_client' | 'client_metadata_unavailable'; readonly message: string };

/**
 * The client a client_id names: an https URL is a Client ID Metadata Document, fetched (with its
 * guards) or taken from the cache; anything else must be a client_id this server sealed at
 * registration.
 */
export async function findClient(oauth: OAuthSettings, clientId: string): Promise<ClientLookup> {
  if (namesMetadataDocument(clientId)) {
    try {
      const document = await oauth.clientDocuments.get(clientId);
      return {
        ok: true,
        client: { clientId, name: document.clientName, documentHost: new URL(clientId).host, redirectUris: document.redirectUris },
      };
    } catch (error) {
      const message = error instanceof ClientMetadataError ? error.message : 'the client metadata document could not be read';
      return { ok: false, reason: 'client_metadata_unavailable', message: `The app's client_id could not be used: ${message}.` };
    }
  }
  const opened = await openRegisteredClient(oauth, clientId);
  if (!opened.ok) {
    return { ok: false, reason: 'unknown_client', message: 'This server does not know the app (its client_id is not one it registered).' };
  }
  return {
    ok: true,
    client: { clientId, name: opened.claims.cn, documentHost: undefined, redirectUris: opened.claims.ru },
  };
}

/** Whether a client_id names a Client ID Metadata Document (an https URL) rather than a client registered here. */
export function namesMetadataDocument(clientId: string): boolean {
  return /^https:\/\//i.test(clientId);
}

/** A client_id this server sealed at registration, opened; it fails when changed or sealed under a secret no longer listed. */
export async function openRegisteredClient(oauth: OAuthSettings, clientId: string): Promise<Opened<RegisteredClientClaims>> {
  if (clientId.length > MAX_REGISTERED_CLIENT_ID_LENGTH) return { ok: false, reason: 'invalid' };
  const opened = await oauth.sealer.open<RegisteredClientClaims>('client', clientId);
  return opened.ok && !Array.isArray(opened.claims.ru) ? { ok: false, reason: 'invalid' } : opened;
}

/**
 * POST /oauth/register: RFC 7591 Dynamic Client Registration, for clients that do not publish a
 * metadata document. Nothing is stored: the registration is sealed into the client_id it returns.
 * Only public clients (no secret, `token_endpoint_auth_method: none`) with https or loopback http
 * redirect URIs; other requested values are replaced by what this server supports, as §3.2.1
 * allows, and the answer says what was registered.
 */
export function registerClient(oauth: OAuthSettings, metrics: Metrics): RequestHandler {
  return async (req, res) => {
    const body: unknown = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      metrics.oauthRefused('register', 'invalid_client_metadata');
      sendOAuthError(res, 400, 'invalid_client_metadata', 'Send the client metadata as a JSON object.');
      return;
    }
    const metadata = body as Record<string, unknown>;
    const uris = metadata.redirect_uris;
    if (
      !Array.isArray(uris) ||
      uris.length === 0 ||
      uris.length > MAX_REDIRECT_URIS ||
      !uris.every((uri) => typeof uri === 'string' && acceptableRedirectUri(uri))
    ) {
      metrics.oauthRefused('register', 'invalid_redirect_uri');
      sendOAuthError(
        res,
        400,
        'invalid_redirect_uri',
        `redirect_uris must list 1 to ${MAX_REDIRECT_URIS} absolute URIs of at most ${MAX_REDIRECT_URI_BYTES} bytes, each https or http on localhost, 127.0.0.1 or [::1], without a fragment.`,
      );
      return;
    }
    const name = clientName(metadata.client_name);
    const claims: RegisteredClientClaims = { ru: uris as string[], ...(name ? { cn: name } : {}) };
    const clientId = await oauth.sealer.seal('client', { ...claims });
    if (clientId.length > MAX_REGISTERED_CLIENT_ID_LENGTH) {
      metrics.oauthRefused('register', 'invalid_client_metadata');
      sendOAuthError(
        res,
        400,
        'invalid_client_metadata',
        `This registration would need a client_id longer than ${MAX_REGISTERED_CLIENT_ID_LENGTH} characters: register fewer or shorter redirect_uris, or a shorter client_name.`,
      );
      return;
    }
    res
      .status(201)
      .set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' })
      .json({
        client_id: clientId,
        client_id_issued_at: Math.floor(Date.now() / 1000),
        ...(name ? { client_name: name } : {}),
        redirect_uris: uris,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      });
  };
}
