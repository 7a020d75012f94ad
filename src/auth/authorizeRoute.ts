import { randomBytes, randomUUID } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response } from 'express';
import type { FluxClient } from '../flux/client.js';
import type { Logger } from '../logger.js';
import type { Metrics, OAuthRefusal, SignInOutcome } from '../metrics.js';
import { findClient, type OAuthClient } from './clientRegistration.js';
import { consentPage, errorPage, setPageHeaders, type ReturnLink } from './consentPage.js';
import { sameText, sha256 } from './digest.js';
import { checkApiKey } from './keyCheck.js';
import { canonicalResource } from './resource.js';
import type { OAuthSettings } from './oauthSettings.js';
import { acceptableRedirectUri, isLoopbackIpRedirect, redirectHost, redirectUriMatches } from './redirectUris.js';
import { MAX_STATE_LENGTH } from './sizes.js';

/** The authorization request, sealed into the consent form so no server keeps it. */
interface ConsentClaims {
  /** SHA-256 of the client_id (see CodeClaims) */
  readonly cid: string;
  /** client name and document host, to show the page again after a wrong key */
  readonly cn?: string;
  readonly ch?: string;
  /** redirect_uri, exactly as requested */
  readonly ru: string;
  /** PKCE code_challenge (S256) */
  readonly cc: string;
  /** resource (audience of the tokens) */
  readonly res: string;
  /** state, echoed back */
  readonly st?: string;
  /** SHA-256 of the nonce in this browser's consent cookie: binds the form to the browser it was shown in */
  readonly bind: string;
}

/**
 * What an authorization code carries to the token endpoint. The client_id and the redirect URI
 * are only compared there, so the code carries their SHA-256: a code, and the tokens after it,
 * stay small however long the client's registration is.
 */
export interface CodeClaims {
  /** SHA-256 of the client_id */
  readonly cid: string;
  /** SHA-256 of the redirect_uri */
  readonly ru: string;
  readonly cc: string;
  readonly res: string;
  /** The AceDataCloud API key, checked with the Flux API before the code was issued. */
  readonly key: string;
  readonly jti: string;
}

export interface AuthorizeDeps {
  readonly flux: FluxClient;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const NONCE = /^[A-Za-z0-9_-]{43}$/;
const API_KEY = /^[\x21-\x7e]{1,1024}$/;
/** RFC 6749 Appendix A.5: state is printable ASCII. */
const STATE = new RegExp(`^[\\x20-\\x7e]{0,${MAX_STATE_LENGTH}}$`);

/** One parameter: its value, undefined when absent, null when repeated or not a string. */
function single(source: unknown, name: string): string | undefined | null {
  const value = (source as Record<string, unknown> | undefined)?.[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : null;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const separator = part.indexOf('=');
    if (separator !== -1 && part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}

/** The origin of a redirect URI, which the consent page's form-action must allow. */
function originOf(uri: string): string {
  return new URL(uri).origin;
}

function redirectTo(res: Response, target: URL): void {
  res.status(303).set({ Location: target.href, 'Cache-Control': 'no-store' }).end();
}

/**
 * GET and POST /oauth/authorize: the authorization endpoint (code flow only, PKCE S256 required)
 * and the consent page it shows. Only the user's own Approve or Cancel sends the browser back to
 * the client by itself, with the code or `access_denied`, `state` and `iss` (RFC 9207). Anyone
 * can register a client, so a request with a problem never redirects on its own (that would make
 * this an open redirector, RFC 9700 §4.11.2): an error page says what is wrong, and when client
 * and redirect URI match, offers a plain link back carrying `error`, `state` and `iss`. The page
 * asks for the AceDataCloud API key; the key is checked with the Flux API before a code is
 * issued, and goes into the sealed code only.
 */
export function authorizeRoutes(oauth: OAuthSettings, deps: AuthorizeDeps): { show: RequestHandler; submit: RequestHandler[] } {
  const { metrics, logger } = deps;
  const cookieName = oauth.secureCookies ? '__Host-flux_mcp_consent' : 'flux_mcp_consent';
  const signInDays = Math.max(1, Math.round(oauth.refreshTokenTtlSeconds / 86_400));

  const refuse = (
    res: Response,
    endpoint: 'authorize' | 'consent',
    reason: OAuthRefusal,
    status: number,
    title: string,
    message: string,
    link?: ReturnLink,
  ) => {
    metrics.oauthRefused(endpoint, reason);
    logger.info({ request_id: res.locals.caller.requestId, oauth: endpoint, refused: reason }, 'oauth request refused');
    setPageHeaders(res);
    res.status(status).type('html').send(errorPage(title, message, link));
  };

  /** The client's redirect URI with the outcome, `state` and `iss`, whatever the outcome. */
  const outcomeUrl = (redirectUri: string, state: string | undefined, params: Record<string, string>): URL => {
    const target = new URL(redirectUri);
    for (const [name, value] of Object.entries(params)) target.searchParams.set(name, value);
    if (state !== undefined) target.searchParams.set('state', state);
    target.searchParams.set('iss', oauth.issuer);
    return target;
  };

  /** Back to the client: only after the user's own Approve or Cancel. */
  const back = (res: Response, redirectUri: string, state: string | undefined, params: Record<string, string>) => {
    redirectTo(res, outcomeUrl(redirectUri, state, params));
  };

  const showConsent = (res: Response, status: number, claims: ConsentClaims, consent: string, error?: string) => {
    setPageHeaders(res, [originOf(claims.ru)]);
    res
      .status(status)
      .type('html')
      .send(
        consentPage({
          clientName: claims.cn,
          clientHost: claims.ch,
          redirectHost: redirectHost(claims.ru),
          loopbackRedirect: isLoopbackIpRedirect(new URL(claims.ru)) || new URL(claims.ru).hostname === 'localhost',
          consent,
          signInDays,
          ...(error ? { error } : {}),
        }),
      );
  };

  const show: RequestHandler = async (req, res) => {
    const query = req.query;
    const clientId = single(query, 'client_id');
    const redirectUri = single(query, 'redirect_uri');
    if (!clientId || !redirectUri) {
      refuse(res, 'authorize', 'invalid_request', 400, 'This sign-in link is incomplete', 'It needs exactly one client_id and one redirect_uri.');
      return;
    }
    const found = await findClient(oauth, clientId);
    if (!found.ok) {
      refuse(res, 'authorize', found.reason, 400, 'This app cannot sign in here', found.message);
      return;
    }
    const client: OAuthClient = found.client;
    if (!acceptableRedirectUri(redirectUri) || !client.redirectUris.some((registered) => redirectUriMatches(redirectUri, registered))) {
      refuse(
        res,
        'authorize',
        'redirect_uri_mismatch',
        400,
        'This sign-in link is not valid',
        'Its redirect_uri is not one the app registered, so this page will not send you there.',
      );
      return;
    }

    const state = single(query, 'state');
    const validState = typeof state === 'string' && STATE.test(state) ? state : undefined;
    const fail = (reason: OAuthRefusal, error: string, description: string) => {
      const target = outcomeUrl(redirectUri, validState, { error, error_description: description });
      const where = redirectHost(redirectUri);
      refuse(res, 'authorize', reason, 400, 'This sign-in request is not valid', `The app asked to sign in, but ${description}.`, {
        href: target.href,
        label: client.name ? `Return to ${client.name} (${where})` : `Return to ${where}`,
      });
    };
    if (state === null || (state !== undefined && validState === undefined)) {
      fail('invalid_request', 'invalid_request', `state must be one value of at most ${MAX_STATE_LENGTH} printable ASCII characters`);
      return;
    }
    const responseType = single(query, 'response_type');
    if (responseType !== 'code') {
      if (typeof responseType === 'string') fail('unsupported_response_type', 'unsupported_response_type', 'response_type must be code');
      else fail('invalid_request', 'invalid_request', 'response_type=code is required');
      return;
    }
    const method = single(query, 'code_challenge_method');
    const challenge = single(query, 'code_challenge');
    if (method !== 'S256' || typeof challenge !== 'string') {
      fail('pkce_required', 'invalid_request', 'PKCE is required: send code_challenge with code_challenge_method=S256 (plain is not accepted)');
      return;
    }
    if (!CODE_CHALLENGE.test(challenge)) {
      fail('pkce_required', 'invalid_request', 'code_challenge must be the base64url SHA-256 of the code verifier (43 characters)');
      return;
    }
    const resourceParam = single(query, 'resource');
    const resource = resourceParam === null ? null : canonicalResource(oauth, resourceParam);
    if (resource === null) {
      fail('invalid_target', 'invalid_target', `resource must be ${oauth.resource}`);
      return;
    }

    const offered = cookieValue(req.headers.cookie, cookieName);
    const nonce = offered !== undefined && NONCE.test(offered) ? offered : randomBytes(32).toString('base64url');
    const claims: ConsentClaims = {
      cid: sha256(client.clientId),
      ...(client.name ? { cn: client.name } : {}),
      ...(client.documentHost ? { ch: client.documentHost } : {}),
      ru: redirectUri,
      cc: challenge,
      res: resource,
      ...(state !== undefined ? { st: state } : {}),
      bind: sha256(nonce),
    };
    const consent = await oauth.sealer.seal('consent', { ...claims }, Math.floor(Date.now() / 1000) + oauth.consentTtlSeconds);
    res.cookie(cookieName, nonce, {
      httpOnly: true,
      secure: oauth.secureCookies,
      sameSite: 'strict',
      path: '/',
      maxAge: oauth.consentTtlSeconds * 1000,
    });
    showConsent(res, 200, claims, consent);
  };

  const signedIn = (res: Response, outcome: SignInOutcome, client: string) => {
    metrics.oauthSignIn(outcome);
    logger.info({ request_id: res.locals.caller.requestId, oauth: 'consent', outcome, client }, 'oauth sign-in');
  };

  const submit: RequestHandler = async (req: Request, res) => {
    const crossSite = 'This form can only be sent from the sign-in page itself.';
    const origin = req.headers.origin;
    const site = req.headers['sec-fetch-site'];
    if ((origin !== undefined && origin !== new URL(oauth.issuer).origin) || (site !== undefined && site !== 'same-origin')) {
      refuse(res, 'consent', 'cross_site', 403, 'Sign-in refused', crossSite);
      return;
    }
    const body: unknown = req.body;
    const consent = single(body, 'consent');
    const decision = single(body, 'decision');
    const opened = typeof consent === 'string' ? await oauth.sealer.open<ConsentClaims>('consent', consent) : undefined;
    if (!opened?.ok) {
      refuse(res, 'consent', 'form_expired', 403, 'This sign-in form has expired', 'It was shown more than 10 minutes ago, or it was changed.');
      return;
    }
    const claims = opened.claims;
    const nonce = cookieValue(req.headers.cookie, cookieName);
    if (nonce === undefined || !sameText(sha256(nonce), claims.bind)) {
      refuse(res, 'consent', 'cross_site', 403, 'Sign-in refused', 'This form was not shown in this browser (its sign-in cookie is missing).');
      return;
    }
    const client = claims.ch ?? 'registered';
    if (decision === 'cancel') {
      signedIn(res, 'cancelled', client);
      back(res, claims.ru, claims.st, { error: 'access_denied', error_description: 'The user cancelled the sign-in.' });
      return;
    }
    if (decision !== 'approve') {
      refuse(res, 'consent', 'invalid_request', 400, 'Sign-in refused', 'Use the Approve or Cancel button of the sign-in page.');
      return;
    }
    const apiKey = (single(body, 'api_key') ?? '').trim();
    if (!API_KEY.test(apiKey)) {
      signedIn(res, 'invalid_key', client);
      showConsent(res, 400, claims, consent as string, 'That is not an API key: paste the key itself, without spaces.');
      return;
    }
    const verdict = await checkApiKey(deps.flux, apiKey, res.locals.caller.requestId);
    if (verdict.kind !== 'valid') {
      signedIn(res, verdict.kind === 'rejected' ? 'key_rejected' : 'upstream_error', client);
      showConsent(res, verdict.kind === 'rejected' ? 400 : 503, claims, consent as string, verdict.message);
      return;
    }
    const code: CodeClaims = { cid: claims.cid, ru: sha256(claims.ru), cc: claims.cc, res: claims.res, key: apiKey, jti: randomUUID() };
    const sealed = await oauth.sealer.seal('code', { ...code }, Math.floor(Date.now() / 1000) + oauth.codeTtlSeconds);
    signedIn(res, 'approved', client);
    back(res, claims.ru, claims.st, { code: sealed });
  };

  return { show, submit: [express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 10 }), submit] };
}
