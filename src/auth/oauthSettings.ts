import { getOAuthProtectedResourceMetadataUrl } from '@modelcontextprotocol/server';
import type { Config } from '../config.js';
import type { ClientMetadataDocuments } from './clientMetadataDocuments.js';
import type { OneTimeClaims } from './oneTimeClaims.js';
import { Sealer } from './seal.js';

/** The one scope there is: using the tools with the key the user signed in with. */
export const SCOPE = 'mcp';

/** What the authorization server and the token check on /mcp share, built once at start. */
export interface OAuthSettings {
  /** PUBLIC_URL: the issuer, byte for byte as the metadata documents say it. */
  readonly issuer: string;
  /** `${issuer}/mcp`: the one resource tokens are issued for (their audience). */
  readonly resource: string;
  /** Where the Protected Resource Metadata of `resource` is (RFC 9728, path-aware). */
  readonly resourceMetadataUrl: string;
  readonly sealer: Sealer;
  /** Single use of codes and refresh tokens (per process unless a shared store is given). */
  readonly claims: OneTimeClaims;
  readonly clientDocuments: ClientMetadataDocuments;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly codeTtlSeconds: number;
  /** The consent form stays valid this long. */
  readonly consentTtlSeconds: number;
  /** https issuer: the consent cookie is `__Host-` prefixed and Secure. */
  readonly secureCookies: boolean;
}

/** The OAuth settings when PUBLIC_URL and OAUTH_SECRETS turn sign-in on, undefined otherwise. */
export function oauthSettings(
  config: Config,
  claims: OneTimeClaims,
  clientDocuments: ClientMetadataDocuments,
): OAuthSettings | undefined {
  if (config.publicUrl === undefined || config.oauthSecrets.length === 0) return undefined;
  const issuer = config.publicUrl;
  const resource = `${issuer}/mcp`;
  return {
    issuer,
    resource,
    resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(new URL(resource)),
    sealer: new Sealer(config.oauthSecrets, issuer),
    claims,
    clientDocuments,
    accessTokenTtlSeconds: config.oauthAccessTokenTtlSeconds,
    refreshTokenTtlSeconds: config.oauthRefreshTokenTtlSeconds,
    codeTtlSeconds: config.oauthCodeTtlSeconds,
    consentTtlSeconds: 600,
    secureCookies: issuer.startsWith('https:'),
  };
}
