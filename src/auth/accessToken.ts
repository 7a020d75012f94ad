import { randomUUID } from 'node:crypto';
import { OAuthError, OAuthErrorCode, verifyBearerToken, type AuthInfo, type OAuthTokenVerifier } from '@modelcontextprotocol/server';
import type { RequestHandler } from 'express';
import { keyFingerprint } from '../keyFingerprint.js';
import type { Metrics, OAuthRefusal } from '../metrics.js';
import { SCOPE, type OAuthSettings } from './oauthSettings.js';
import type { OpenFailure } from './seal.js';
import type { AccessClaims } from './tokenRoute.js';

const PROBLEMS: Record<OpenFailure, string> = {
  expired: 'The access token has expired.',
  not_yet_valid: 'The access token is not valid yet.',
  unknown_secret: 'The access token was sealed by a secret this server no longer uses.',
  wrong_audience: 'The access token was issued for another resource.',
  invalid: 'The access token is not one this server issued, or it was changed.',
};

/** The SDK's invalid_token error, with why the token did not open (for metrics). */
type RefusedToken = OAuthError & { readonly reason: OpenFailure };

function refusedToken(reason: OpenFailure): RefusedToken {
  return Object.assign(new OAuthError(OAuthErrorCode.InvalidToken, PROBLEMS[reason]), { reason });
}

/** The reason of a refusedToken; SDK errors (its own resource and expiry checks) count as invalid. */
function reasonOf(error: unknown): OpenFailure {
  const reason = (error as { reason?: unknown } | null)?.reason;
  return typeof reason === 'string' && reason in PROBLEMS ? (reason as OpenFailure) : 'invalid';
}

const REFUSALS: Record<OpenFailure, OAuthRefusal> = {
  expired: 'expired',
  not_yet_valid: 'invalid_token',
  unknown_secret: 'unknown_secret',
  wrong_audience: 'wrong_audience',
  invalid: 'invalid_token',
};

/**
 * The SDK's token-verifier interface over this service's sealed access tokens: opens the token
 * (secret, type, issuer, audience, expiry and not-before are all checked while opening) and
 * reports the key sealed in it as `extra.apiKey`.
 */
export function accessTokenVerifier(oauth: OAuthSettings): OAuthTokenVerifier {
  return {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      const opened = await oauth.sealer.open<AccessClaims>('access', token, oauth.resource);
      if (!opened.ok) throw refusedToken(opened.reason);
      const { claims } = opened;
      return {
        token,
        clientId: claims.cid,
        scopes: [SCOPE],
        ...(claims.exp !== undefined ? { expiresAt: claims.exp } : {}),
        resource: new URL(claims.aud),
        extra: { apiKey: claims.key },
      };
    },
  };
}

/**
 * On /mcp with OAuth on: turns an access token of this service into the caller's credentials,
 * the AceDataCloud key sealed inside it, through the SDK's `verifyBearerToken` (which also
 * compares the token's resource with this one and refuses tokens without a future expiry). A
 * token that does not pass leaves credentials that requireKey answers with 401 invalid_token,
 * before anything reaches the Flux API. Raw keys in the header pass through untouched.
 */
export function resolveAccessToken(oauth: OAuthSettings, metrics: Metrics): RequestHandler {
  const options = {
    verifier: accessTokenVerifier(oauth),
    expectedResource: new URL(oauth.resource),
    resourceMetadataUrl: oauth.resourceMetadataUrl,
  };
  return async (_req, res, next) => {
    const caller = res.locals.caller;
    if (caller.credentials.kind !== 'sealed') {
      next();
      return;
    }
    try {
      const info = await verifyBearerToken(`Bearer ${caller.credentials.token}`, options);
      const apiKey = info.extra?.apiKey;
      if (typeof apiKey !== 'string' || apiKey === '') throw refusedToken('invalid');
      caller.credentials = { kind: 'key', apiKey, fingerprint: keyFingerprint(apiKey), via: 'oauth' };
      if (caller.requestId.includes(apiKey)) {
        caller.requestId = randomUUID();
        res.setHeader('X-Request-Id', caller.requestId);
      }
    } catch (error) {
      const reason = reasonOf(error);
      metrics.oauthRefused('mcp', REFUSALS[reason]);
      caller.credentials = { kind: 'invalid_token', problem: error instanceof OAuthError ? error.message : PROBLEMS.invalid };
    }
    next();
  };
}
