import express, { type RequestHandler, type Response } from 'express';
import type { Logger } from '../logger.js';
import type { Metrics, OAuthGrant, OAuthRefusal } from '../metrics.js';
import type { CodeClaims } from './authorizeRoute.js';
import { namesMetadataDocument, openRegisteredClient } from './clientRegistration.js';
import { sameText, sha256 } from './digest.js';
import { sendOAuthError } from './oauthError.js';
import { SCOPE, type OAuthSettings } from './oauthSettings.js';
import { canonicalResource } from './resource.js';
import type { OpenFailure } from './seal.js';

/** What an access token carries: its audience (`aud`, the resource), the client (SHA-256 of its client_id) and the key. */
export interface AccessClaims {
  readonly aud: string;
  readonly cid: string;
  readonly key: string;
}

/**
 * What a refresh token carries: its sign-in chain and step (see OneTimeClaims). It expires a fixed
 * time after the sign-in, however often it rotates.
 */
interface RefreshClaims {
  /** SHA-256 of the client_id */
  readonly cid: string;
  readonly res: string;
  readonly key: string;
  readonly chain: string;
  readonly step: number;
}

/** RFC 7636: 43 to 128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;
/** A chain is kept a little past its last token's expiry, for the clock tolerance of opening it. */
const CHAIN_MARGIN_MS = 10_000;

class TokenRefusal extends Error {
  constructor(
    readonly reason: OAuthRefusal,
    readonly error: string,
    readonly description: string,
    readonly status = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }
}

/** RFC 9110: a 401 names an authentication scheme. Public clients have none to use; Basic is what RFC 6749 §2.3.1 names. */
const CLIENT_CHALLENGE = { 'WWW-Authenticate': 'Basic realm="flux-mcp"' };

function openFailure(failure: OpenFailure, what: string): TokenRefusal {
  return failure === 'expired'
    ? new TokenRefusal('expired', 'invalid_grant', `The ${what} has expired.`)
    : new TokenRefusal(failure === 'unknown_secret' ? 'unknown_secret' : 'invalid_grant', 'invalid_grant', `The ${what} is not valid.`);
}

/**
 * POST /oauth/token: the token endpoint for public clients. `authorization_code` (PKCE S256
 * verified; client_id, redirect_uri and resource must be the code's; a code is good once) and
 * `refresh_token` (rotating: each use returns a new refresh token and the old one is refused
 * after that). Tokens are sealed, bound to the client and to this resource. Errors follow
 * RFC 6749 §5.2; every answer is `Cache-Control: no-store`.
 */
export function tokenRoute(oauth: OAuthSettings, deps: { metrics: Metrics; logger: Logger }): RequestHandler[] {
  const { metrics, logger } = deps;

  const field = (body: Record<string, unknown>, name: string, required: boolean): string | undefined => {
    const value = body[name];
    if (value === undefined || value === '') {
      if (required) throw new TokenRefusal('invalid_request', 'invalid_request', `${name} is required.`);
      return undefined;
    }
    if (typeof value !== 'string') throw new TokenRefusal('invalid_request', 'invalid_request', `${name} must be sent once.`);
    return value;
  };

  /** Moves the sign-in chain past `step`, or refuses: used already (the chain is now revoked) or no answer. */
  const advance = async (chain: string, step: number, chainEndsAt: number, what: string) => {
    let honoured: boolean;
    try {
      honoured = await oauth.claims.advance(chain, step, chainEndsAt * 1000 - Date.now() + CHAIN_MARGIN_MS);
    } catch (error) {
      logger.error({ err: error }, 'sign-in chain store failed');
      throw new TokenRefusal('unavailable', 'temporarily_unavailable', 'The server cannot check single use right now; try again shortly.', 503);
    }
    if (!honoured) {
      throw new TokenRefusal('replayed', 'invalid_grant', `The ${what} has been used already; this sign-in is now revoked, so sign in again.`);
    }
  };

  const issue = async (res: Response, grant: OAuthGrant, refresh: RefreshClaims, refreshExpiresAt: number) => {
    const now = Math.floor(Date.now() / 1000);
    const accessExpiresAt = Math.min(now + oauth.accessTokenTtlSeconds, refreshExpiresAt);
    const access: AccessClaims = { aud: refresh.res, cid: refresh.cid, key: refresh.key };
    const [accessToken, refreshToken] = await Promise.all([
      oauth.sealer.seal('access', { ...access }, accessExpiresAt),
      oauth.sealer.seal('refresh', { ...refresh }, refreshExpiresAt),
    ]);
    metrics.oauthTokensIssued(grant);
    res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' }).json({
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: accessExpiresAt - now,
      refresh_token: refreshToken,
      scope: SCOPE,
    });
  };

  /**
   * A client_id this server registered must still open (RFC 6749 §5.2 invalid_client otherwise):
   * a changed one, or one sealed under a retired secret, is no client of this server any more,
   * and the client registers again. A metadata-document client was checked when it signed in.
   */
  const knownClient = async (clientId: string) => {
    if (namesMetadataDocument(clientId)) return;
    const opened = await openRegisteredClient(oauth, clientId);
    if (!opened.ok) {
      throw new TokenRefusal(
        opened.reason === 'unknown_secret' ? 'unknown_secret' : 'unknown_client',
        'invalid_client',
        'This server does not know the client: its client_id was not registered here, or was registered under a secret since retired. Register again.',
        401,
        CLIENT_CHALLENGE,
      );
    }
  };

  const resourceOf = (body: Record<string, unknown>, granted: string) => {
    const requested = field(body, 'resource', false);
    if (requested !== undefined && canonicalResource(oauth, requested) !== granted) {
      throw new TokenRefusal('invalid_target', 'invalid_target', `The resource must be ${granted}, as when signing in.`);
    }
  };

  const authorizationCode = async (res: Response, body: Record<string, unknown>) => {
    const code = field(body, 'code', true)!;
    const verifier = field(body, 'code_verifier', true)!;
    const clientId = field(body, 'client_id', true)!;
    const redirectUri = field(body, 'redirect_uri', false);
    if (!CODE_VERIFIER.test(verifier)) throw new TokenRefusal('invalid_request', 'invalid_request', 'code_verifier must be 43 to 128 unreserved characters.');
    await knownClient(clientId);
    const opened = await oauth.sealer.open<CodeClaims>('code', code);
    if (!opened.ok) throw openFailure(opened.reason, 'authorization code');
    const claims = opened.claims;
    if (!sameText(sha256(clientId), claims.cid)) throw new TokenRefusal('client_mismatch', 'invalid_grant', 'The code was issued to another client.');
    if (redirectUri !== undefined && !sameText(sha256(redirectUri), claims.ru)) {
      throw new TokenRefusal('client_mismatch', 'invalid_grant', 'redirect_uri differs from the one of the authorization request.');
    }
    if (!sameText(sha256(verifier), claims.cc)) throw new TokenRefusal('pkce_mismatch', 'invalid_grant', 'The code_verifier does not match the code_challenge.');
    resourceOf(body, claims.res);
    const signInEnds = Math.floor(Date.now() / 1000) + oauth.refreshTokenTtlSeconds;
    // The code is step 0 of the sign-in's chain, named by the code's own id.
    await advance(claims.jti, 0, signInEnds, 'code');
    await issue(res, 'authorization_code', { cid: claims.cid, res: claims.res, key: claims.key, chain: claims.jti, step: 1 }, signInEnds);
  };

  const refreshToken = async (res: Response, body: Record<string, unknown>) => {
    const token = field(body, 'refresh_token', true)!;
    const clientId = field(body, 'client_id', true)!;
    await knownClient(clientId);
    const opened = await oauth.sealer.open<RefreshClaims>('refresh', token);
    if (!opened.ok) throw openFailure(opened.reason, 'refresh token');
    const claims = opened.claims;
    if (!sameText(sha256(clientId), claims.cid)) throw new TokenRefusal('client_mismatch', 'invalid_grant', 'The refresh token was issued to another client.');
    resourceOf(body, claims.res);
    if (typeof claims.chain !== 'string' || !Number.isSafeInteger(claims.step) || claims.step < 1) {
      throw new TokenRefusal('invalid_grant', 'invalid_grant', 'The refresh token is not valid.');
    }
    const expiresAt = claims.exp ?? 0;
    await advance(claims.chain, claims.step, expiresAt, 'refresh token');
    await issue(res, 'refresh_token', { cid: claims.cid, res: claims.res, key: claims.key, chain: claims.chain, step: claims.step + 1 }, expiresAt);
  };

  const handler: RequestHandler = async (req, res) => {
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    try {
      if (req.headers.authorization !== undefined || body.client_secret !== undefined || body.client_assertion !== undefined) {
        throw new TokenRefusal('invalid_client', 'invalid_client', 'Only public clients: send client_id in the body and no client credentials.', 401, CLIENT_CHALLENGE);
      }
      const grantType = field(body, 'grant_type', true);
      if (grantType === 'authorization_code') await authorizationCode(res, body);
      else if (grantType === 'refresh_token') await refreshToken(res, body);
      else throw new TokenRefusal('unsupported_grant_type', 'unsupported_grant_type', 'grant_type must be authorization_code or refresh_token.');
    } catch (error) {
      if (!(error instanceof TokenRefusal)) throw error;
      metrics.oauthRefused('token', error.reason);
      logger.info({ request_id: res.locals.caller.requestId, oauth: 'token', refused: error.reason }, 'oauth request refused');
      sendOAuthError(res, error.status, error.error, error.description, error.headers);
    }
  };

  return [express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }), handler];
}
