import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sha256 } from '../../src/auth/digest.js';
import { Sealer } from '../../src/auth/seal.js';
import { MAX_REDIRECT_URI_BYTES, MAX_REGISTERED_CLIENT_ID_LENGTH, MAX_SEALED_LENGTH, MAX_STATE_LENGTH } from '../../src/auth/sizes.js';
import { rawRequest } from '../helpers/rawHttp.js';
import {
  authorizeParams,
  authorizeUrl,
  CallbackServer,
  mcpCall,
  newSecret,
  openConsent,
  pkce,
  registerClient,
  registeredClientId,
  signedInTokens,
  signInWithoutBrowser,
  startOAuthHarness,
  submitConsent,
  tokenRequest,
  toolCall,
  type OAuthHarness,
} from '../helpers/oauth.js';

const KEY = 'key-oauth-server-0001';
const REDIRECT = 'http://127.0.0.1:5555/callback';

/** `prefix` padded with two-byte characters (and one `a` when needed) to exactly `bytes` bytes of UTF-8. */
function uriOfBytes(prefix: string, bytes: number): string {
  const missing = bytes - Buffer.byteLength(prefix);
  return `${prefix}${'é'.repeat(Math.floor(missing / 2))}${missing % 2 === 1 ? 'a' : ''}`;
}

function query(location: string | null): URLSearchParams {
  assert.ok(location, 'a redirect');
  return new URL(location).searchParams;
}

describe('OAuth authorization server', () => {
  let harness: OAuthHarness;
  let clientId: string;
  let otherClientId: string;
  let taskId: string;

  before(async () => {
    harness = await startOAuthHarness({ env: { RATE_LIMIT_SIGN_IN_PER_MINUTE: '1000', RATE_LIMIT_OAUTH_PER_MINUTE: '1000' } });
    harness.sandbox.addKey(KEY);
    taskId = harness.sandbox.addTask(KEY);
    clientId = await registeredClientId(harness.issuer, REDIRECT, 'Negative tests');
    otherClientId = await registeredClientId(harness.issuer, REDIRECT, 'Another client');
  });
  after(async () => {
    await harness.close();
  });

  const url = (challenge: string, overrides: Record<string, string | undefined> = {}) =>
    authorizeUrl(harness.issuer, authorizeParams(harness, clientId, REDIRECT, challenge, overrides));

  describe('discovery', () => {
    it('serves Protected Resource Metadata at the path-aware and the root URL, naming this issuer', async () => {
      for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
        const response = await fetch(`${harness.issuer}${path}`, { headers: { origin: 'https://claude.ai' } });
        assert.equal(response.status, 200, path);
        assert.equal(response.headers.get('access-control-allow-origin'), '*', 'browser clients may read it from any origin');
        const document = (await response.json()) as { resource: string; authorization_servers: string[]; bearer_methods_supported: string[] };
        assert.equal(document.resource, harness.resource);
        assert.deepEqual(document.authorization_servers, [harness.issuer]);
        assert.deepEqual(document.bearer_methods_supported, ['header']);
      }
    });

    it('serves Authorization Server Metadata whose issuer is the PRM entry byte for byte', async () => {
      const response = await fetch(`${harness.issuer}/.well-known/oauth-authorization-server`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      const metadata = (await response.json()) as Record<string, unknown>;
      const prm = (await (await fetch(`${harness.issuer}/.well-known/oauth-protected-resource/mcp`)).json()) as { authorization_servers: string[] };
      assert.equal(metadata.issuer, prm.authorization_servers[0]);
      assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
      assert.deepEqual(metadata.response_types_supported, ['code']);
      assert.deepEqual(metadata.token_endpoint_auth_methods_supported, ['none']);
      assert.deepEqual(metadata.grant_types_supported, ['authorization_code', 'refresh_token']);
      assert.equal(metadata.client_id_metadata_document_supported, true);
      assert.equal(metadata.authorization_response_iss_parameter_supported, true);
      assert.equal(metadata.registration_endpoint, `${harness.issuer}/oauth/register`);
      assert.equal(metadata.authorization_endpoint, `${harness.issuer}/oauth/authorize`);
      assert.equal(metadata.token_endpoint, `${harness.issuer}/oauth/token`);
    });

    it('answers CORS preflight for the metadata and the token endpoint, with the MCP-Protocol-Version header', async () => {
      for (const path of ['/.well-known/oauth-authorization-server', '/oauth/token', '/oauth/register']) {
        const response = await fetch(`${harness.issuer}${path}`, {
          method: 'OPTIONS',
          headers: { origin: 'https://inspector.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'mcp-protocol-version,content-type' },
        });
        assert.equal(response.status, 204, path);
        assert.equal(response.headers.get('access-control-allow-origin'), '*');
        assert.match(response.headers.get('access-control-allow-headers') ?? '', /MCP-Protocol-Version/i);
      }
    });

    it('checks the Host header like /mcp does', async () => {
      const target = new URL('/.well-known/oauth-authorization-server', harness.issuer);
      const refused = await rawRequest(target, { method: 'GET', headers: { host: 'evil.example' } });
      assert.equal(refused.status, 403);
      const allowed = await rawRequest(target, { method: 'GET', headers: { host: new URL(harness.issuer).host } });
      assert.equal(allowed.status, 200);
    });

    it('names the resource metadata in every 401 from /mcp', async () => {
      const expected = `resource_metadata="${harness.issuer}/.well-known/oauth-protected-resource/mcp"`;
      const foreign = await new Sealer([pkce().verifier.slice(0, 43)], harness.issuer).seal('access', { aud: harness.resource, cid: 'c', key: KEY }, Math.floor(Date.now() / 1000) + 60);
      for (const bearer of [undefined, 'two words', foreign]) {
        const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
        if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
        const response = await fetch(harness.mcpUrl, { method: 'POST', headers, body: JSON.stringify(toolCall(taskId)) });
        assert.equal(response.status, 401);
        assert.ok(response.headers.get('www-authenticate')?.includes(expected), `${bearer}: ${response.headers.get('www-authenticate')}`);
      }
      const none = await mcpCall(harness.mcpUrl, undefined, toolCall(taskId));
      assert.doesNotMatch(none.headers.get('www-authenticate') ?? '', /error=/, 'no error code when no credentials were sent (RFC 6750 §3.1)');
    });
  });

  describe('dynamic client registration', () => {
    it('registers a public client and says what it registered', async () => {
      const { status, body } = await registerClient(harness.issuer, {
        client_name: 'Some app',
        redirect_uris: ['https://app.example/callback', 'http://localhost:4321/cb'],
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code'],
      });
      assert.equal(status, 201);
      assert.equal(body.token_endpoint_auth_method, 'none');
      assert.deepEqual(body.redirect_uris, ['https://app.example/callback', 'http://localhost:4321/cb']);
      assert.deepEqual(body.grant_types, ['authorization_code', 'refresh_token']);
      assert.equal(body.client_secret, undefined);
      assert.match(String(body.client_id), /^eyJ/, 'the registration itself, sealed');
    });

    const refused: [string, unknown, string][] = [
      ['plain http on a public host', { redirect_uris: ['http://app.example/callback'] }, 'invalid_redirect_uri'],
      ['no redirect URIs', { redirect_uris: [] }, 'invalid_redirect_uri'],
      ['a javascript: URI', { redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri'],
      ['a fragment', { redirect_uris: ['https://app.example/cb#x'] }, 'invalid_redirect_uri'],
      ['21 redirect URIs', { redirect_uris: Array.from({ length: 21 }, (_, i) => `https://app.example/${i}`) }, 'invalid_redirect_uri'],
      ['a redirect URI over 2,048 bytes (UTF-8)', { redirect_uris: [uriOfBytes('https://app.example/', 2049)] }, 'invalid_redirect_uri'],
      ['a redirect URI with a control character', { redirect_uris: ['https://app.example/c\u0001b'] }, 'invalid_redirect_uri'],
      ['a redirect URI with a quote', { redirect_uris: ['https://app.example/"cb"'] }, 'invalid_redirect_uri'],
      ['a registration too large for a client_id', { redirect_uris: Array.from({ length: 3 }, (_, i) => uriOfBytes(`https://app.example/${i}/`, 2048)) }, 'invalid_client_metadata'],
      ['a body that is not an object', ['https://app.example/cb'], 'invalid_client_metadata'],
    ];
    for (const [what, body, error] of refused) {
      it(`refuses ${what} with ${error}`, async () => {
        const answer = await registerClient(harness.issuer, body as Record<string, unknown>);
        assert.equal(answer.status, 400);
        assert.equal(answer.body.error, error);
      });
    }
  });

  describe('size bounds', () => {
    it('says why a registration too large for a client_id is refused', async () => {
      const answer = await registerClient(harness.issuer, { redirect_uris: [1, 2, 3].map((i) => uriOfBytes(`https://app.example/${i}/`, 2048)) });
      assert.equal(answer.status, 400);
      assert.match(String(answer.body.error_description), /client_id longer than 4096 characters/);
    });

    it('signs in with the largest registration, state and key it accepts: every sealed value fits and opens', async () => {
      const redirect = uriOfBytes('http://127.0.0.1:5555/cb/', MAX_REDIRECT_URI_BYTES);
      const registered = await registerClient(harness.issuer, { client_name: '\u0001'.repeat(200), redirect_uris: [redirect] });
      assert.equal(registered.status, 201, JSON.stringify(registered.body));
      const client = String(registered.body.client_id);
      assert.ok(client.length <= MAX_REGISTERED_CLIENT_ID_LENGTH, `client_id of ${client.length} characters`);
      const { verifier, challenge } = pkce();
      const state = '"'.repeat(MAX_STATE_LENGTH);
      const form = await openConsent(authorizeUrl(harness.issuer, authorizeParams(harness, client, redirect, challenge, { state })));
      assert.equal(form.page.status, 200);
      // A metadata-document client's form also carries its host (a DNS name, port and JSON around it).
      const hostRoom = Math.ceil(((253 + 6 + 10) * 4) / 3);
      assert.ok(form.consent.length + hostRoom <= MAX_SEALED_LENGTH, `consent form token of ${form.consent.length} characters`);
      const longestKey = await submitConsent(harness.issuer, form, { api_key: '%'.repeat(1024), decision: 'approve' });
      assert.equal(longestKey.status, 400, 'the longest key fits in the form body (and is checked, and rejected)');
      const approved = await submitConsent(harness.issuer, form, { api_key: KEY, decision: 'approve' });
      assert.equal(approved.status, 303);
      const back = query(approved.headers.get('location'));
      assert.equal(back.get('state'), state);
      const code = back.get('code')!;
      const tokens = await tokenRequest(harness.issuer, {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        client_id: client,
        redirect_uri: redirect,
        resource: harness.resource,
      });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.equal((await mcpCall(harness.mcpUrl, String(tokens.body.access_token), toolCall(taskId))).status, 200);
      const refreshed = await tokenRequest(harness.issuer, { grant_type: 'refresh_token', refresh_token: String(tokens.body.refresh_token), client_id: client });
      assert.equal(refreshed.status, 200);
    });

    it('refuses a client_id longer than any this server issues', async () => {
      const { challenge } = pkce();
      const response = await fetch(url(challenge, { client_id: `${clientId}${'A'.repeat(MAX_REGISTERED_CLIENT_ID_LENGTH)}` }), { redirect: 'manual' });
      assert.equal(response.status, 400);
      assert.equal(response.headers.get('location'), null);
    });
  });

  describe('authorization endpoint', () => {
    it('shows an error page and never redirects for an unknown client or a redirect_uri it did not register', async () => {
      const { challenge } = pkce();
      const cases: Record<string, string>[] = [
        { client_id: 'not-a-client' },
        { client_id: `${clientId.slice(0, -4)}AAAA` },
        { redirect_uri: 'https://evil.example/callback' },
        { redirect_uri: 'http://127.0.0.1:5555/other' },
        { redirect_uri: 'http://localhost:5555/callback' },
      ];
      for (const overrides of cases) {
        const response = await fetch(url(challenge, overrides), { redirect: 'manual' });
        assert.equal(response.status, 400, JSON.stringify(overrides));
        assert.equal(response.headers.get('location'), null);
        assert.match(response.headers.get('content-type') ?? '', /text\/html/);
        assert.doesNotMatch(await response.text(), /name="consent"/);
      }
    });

    it('accepts the registered loopback redirect on another port (OAuth 2.1 loopback rule)', async () => {
      const { challenge } = pkce();
      const response = await fetch(url(challenge, { redirect_uri: 'http://127.0.0.1:6543/callback' }), { redirect: 'manual' });
      assert.equal(response.status, 200);
    });

    const redirectedErrors: [string, (challenge: string) => Record<string, string | undefined>, string][] = [
      ['no PKCE', () => ({ code_challenge: undefined, code_challenge_method: undefined }), 'invalid_request'],
      ['PKCE plain', (challenge) => ({ code_challenge: challenge, code_challenge_method: 'plain' }), 'invalid_request'],
      ['a challenge without a method', () => ({ code_challenge_method: undefined }), 'invalid_request'],
      ['a malformed challenge', () => ({ code_challenge: 'short' }), 'invalid_request'],
      ['another resource', () => ({ resource: 'https://other.example/mcp' }), 'invalid_target'],
      ['response_type token', () => ({ response_type: 'token' }), 'unsupported_response_type'],
    ];
    for (const [what, overrides, error] of redirectedErrors) {
      it(`never redirects by itself for ${what}: an error page links back to the client with ${error}, state and iss`, async () => {
        const { challenge } = pkce();
        const response = await fetch(url(challenge, overrides(challenge)), { redirect: 'manual' });
        assert.equal(response.status, 400);
        assert.equal(response.headers.get('location'), null, 'anyone can register a client: no open redirector');
        assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
        assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
        const html = await response.text();
        assert.doesNotMatch(html, /name="consent"/);
        const link = /<a href="([^"]+)" rel="noreferrer">Return to Negative tests \(127\.0\.0\.1:5555\)<\/a>/.exec(html)?.[1];
        assert.ok(link, 'a plain link back, naming the app and where it goes');
        const target = new URL(link.replaceAll('&#38;', '&'));
        assert.equal(`${target.origin}${target.pathname}`, REDIRECT);
        const params = target.searchParams;
        assert.equal(params.get('error'), error);
        assert.ok(params.get('error_description'));
        assert.ok(html.includes(params.get('error_description')!.replace(/"/g, '&#34;').replace(/'/g, '&#39;')), 'the page says what is wrong');
        assert.equal(params.get('state'), 'state-123');
        assert.equal(params.get('iss'), harness.issuer);
        assert.equal(params.get('code'), null);
      });
    }

    it('leaves an unusable state out of the link back', async () => {
      const { challenge } = pkce();
      for (const state of ['x'.repeat(1025), 'caf\u00e9']) {
        const response = await fetch(url(challenge, { state }), { redirect: 'manual' });
        assert.equal(response.status, 400);
        assert.equal(response.headers.get('location'), null);
        const link = /<a href="([^"]+)"/.exec(await response.text())?.[1];
        const params = new URL(link!.replaceAll('&#38;', '&')).searchParams;
        assert.equal(params.get('error'), 'invalid_request');
        assert.equal(params.get('state'), null);
      }
    });

    it('serves the consent page with its security headers', async () => {
      const { challenge } = pkce();
      const form = await openConsent(url(challenge));
      assert.equal(form.page.status, 200);
      const csp = form.page.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /style-src 'sha256-[A-Za-z0-9+/=]+'/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /form-action 'self' http:\/\/127\.0\.0\.1:5555(;|$)/, 'the form may go here and, by its redirect, to the client only');
      assert.doesNotMatch(csp, /unsafe-inline|script-src/);
      assert.equal(form.page.headers.get('x-frame-options'), 'DENY');
      assert.equal(form.page.headers.get('referrer-policy'), 'same-origin');
      assert.equal(form.page.headers.get('cache-control'), 'no-store');
      assert.equal(form.page.headers.get('x-content-type-options'), 'nosniff');
      const cookie = form.page.headers.get('set-cookie') ?? '';
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
      assert.doesNotMatch(form.html, /<script|<img|<link|src=/i, 'loads nothing and runs nothing');
      assert.match(form.html, /type="password"/);
      assert.match(form.html, /platform\.acedata\.cloud/);
      assert.match(form.html, /127\.0\.0\.1:5555/, 'says where it sends the user back');
      assert.match(form.html, /Negative tests/, 'names the app');
    });

    it('escapes what the client chose (its name, the state)', async () => {
      const sneaky = await registeredClientId(harness.issuer, REDIRECT, '<script>alert(1)</script>');
      const { challenge } = pkce();
      const form = await openConsent(authorizeUrl(harness.issuer, authorizeParams(harness, sneaky, REDIRECT, challenge, { state: '"><b>x' })));
      assert.doesNotMatch(form.html, /<script>alert/);
      assert.match(form.html, /&#60;script&#62;alert\(1\)&#60;\/script&#62;/);
    });
  });

  describe('consent form', () => {
    it('refuses a cross-site post: a foreign Origin, Origin null, Sec-Fetch-Site cross-site, no cookie, another cookie, a forged form', async () => {
      const { challenge } = pkce();
      const form = await openConsent(url(challenge));
      const other = await openConsent(url(challenge));
      // One real submission first: the same request with the page's own headers would be accepted.
      const cases: [Record<string, string | undefined>, typeof form][] = [
        [{ origin: 'https://evil.example' }, form],
        [{ origin: 'null' }, form],
        [{ 'sec-fetch-site': 'cross-site' }, form],
        [{ cookie: undefined }, form],
        [{ cookie: 'flux_mcp_consent=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, form],
        [{}, { ...form, consent: `${form.consent.slice(0, -6)}AAAAAA` }],
        [{ cookie: other.cookie }, form],
      ];
      for (const [headers, submitted] of cases) {
        const answer = await submitConsent(harness.issuer, submitted, { api_key: KEY, decision: 'approve' }, headers);
        assert.equal(answer.status, 403, JSON.stringify(headers));
        assert.equal(answer.headers.get('location'), null);
      }
      const accepted = await submitConsent(harness.issuer, form, { api_key: KEY, decision: 'approve' });
      assert.equal(accepted.status, 303, 'the same form from its own page goes through');
    });

    it('Cancel goes back with access_denied, state and iss', async () => {
      const { challenge } = pkce();
      const answer = await submitConsent(harness.issuer, await openConsent(url(challenge)), { decision: 'cancel' });
      assert.equal(answer.status, 303);
      const params = query(answer.headers.get('location'));
      assert.equal(params.get('error'), 'access_denied');
      assert.equal(params.get('state'), 'state-123');
      assert.equal(params.get('iss'), harness.issuer);
    });

    it('shows a rejected key on the page without echoing it, issues no code, and lets the user try again', async () => {
      const { challenge } = pkce();
      const form = await openConsent(url(challenge));
      const wrong = `wrong-key-${randomUUID()}`;
      const answer = await submitConsent(harness.issuer, form, { api_key: wrong, decision: 'approve' });
      assert.equal(answer.status, 400);
      assert.equal(answer.headers.get('location'), null);
      const html = await answer.text();
      assert.match(html, /did not accept this API key/);
      assert.ok(!html.includes(wrong), 'the key is not in the page');
      assert.ok(harness.sandbox.requests.some((request) => request.token === wrong), 'the key was checked with the Flux API');
      const retry = await submitConsent(harness.issuer, form, { api_key: KEY, decision: 'approve' });
      assert.equal(retry.status, 303);
      assert.ok(query(retry.headers.get('location')).get('code'));
    });

    it('says so when the Flux API cannot be reached, and issues no code', async () => {
      const { challenge } = pkce();
      const form = await openConsent(url(challenge));
      harness.sandbox.injectFault({ kind: 'status', status: 503 }, 3);
      const answer = await submitConsent(harness.issuer, form, { api_key: KEY, decision: 'approve' });
      harness.sandbox.clearFaults();
      assert.equal(answer.status, 503);
      assert.equal(answer.headers.get('location'), null);
      assert.match(await answer.text(), /could not be reached/);
    });
  });

  describe('token endpoint', () => {
    async function freshCode(challenge: string): Promise<string> {
      const back = await signInWithoutBrowser(url(challenge), harness.issuer, KEY);
      return back.searchParams.get('code')!;
    }
    const exchange = (code: string, verifier: string, overrides: Record<string, string | undefined> = {}) =>
      tokenRequest(harness.issuer, {
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        client_id: clientId,
        redirect_uri: REDIRECT,
        resource: harness.resource,
        ...overrides,
      });

    it('issues tokens once per code, with no-store, and refuses the code a second time', async () => {
      const { verifier, challenge } = pkce();
      const code = await freshCode(challenge);
      const first = await exchange(code, verifier);
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('cache-control'), 'no-store');
      assert.equal(first.body.token_type, 'Bearer');
      assert.equal(first.body.expires_in, 3600);
      assert.ok(first.body.refresh_token);
      const replay = await exchange(code, verifier);
      assert.equal(replay.status, 400);
      assert.equal(replay.body.error, 'invalid_grant');
      assert.equal(replay.headers.get('cache-control'), 'no-store');
    });

    const refusals: [string, (verifier: string) => Record<string, string | undefined>, string][] = [
      ['a wrong verifier', () => ({ code_verifier: pkce().verifier }), 'invalid_grant'],
      ['no verifier', () => ({ code_verifier: undefined }), 'invalid_request'],
      ['another registered client', () => ({ client_id: otherClientId }), 'invalid_grant'],
      ['another redirect_uri', () => ({ redirect_uri: 'http://127.0.0.1:5555/other' }), 'invalid_grant'],
      ['another resource', () => ({ resource: 'https://other.example/mcp' }), 'invalid_target'],
      ['a repeated parameter', () => ({}), 'invalid_request'],
    ];
    for (const [what, overrides, error] of refusals) {
      it(`refuses ${what} with ${error}`, async () => {
        const { verifier, challenge } = pkce();
        const code = await freshCode(challenge);
        const answer =
          what === 'a repeated parameter'
            ? await fetch(`${harness.issuer}/oauth/token`, {
                method: 'POST',
                headers: { 'content-type': 'application/x-www-form-urlencoded' },
                body: `grant_type=authorization_code&code=${code}&code=${code}&code_verifier=${verifier}&client_id=${encodeURIComponent(clientId)}`,
              }).then(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> }))
            : await exchange(code, verifier, overrides(verifier));
        assert.equal(answer.status, 400);
        assert.equal(answer.body.error, error);
      });
    }

    it('refuses an expired code, a tampered code, and a code sealed under another secret', async () => {
      const { verifier, challenge } = pkce();
      const claims = { cid: sha256(clientId), ru: sha256(REDIRECT), cc: challenge, res: harness.resource, key: KEY, jti: randomUUID() };
      const past = Math.floor(Date.now() / 1000) - 60;
      const expired = await new Sealer(harness.secrets, harness.issuer).seal('code', claims, past);
      const answer = await exchange(expired, verifier);
      assert.equal(answer.body.error, 'invalid_grant');
      assert.match(String(answer.body.error_description), /expired/);
      const good = await freshCode(challenge);
      const tampered = `${good.slice(0, -4)}${good.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      assert.equal((await exchange(tampered, verifier)).body.error, 'invalid_grant');
      const stranger = await new Sealer([pkce().verifier.slice(0, 43)], harness.issuer).seal('code', claims, past + 3600);
      assert.equal((await exchange(stranger, verifier)).body.error, 'invalid_grant');
    });

    it('refuses a registered client_id that does not open (changed, or sealed under a retired secret) with 401 invalid_client', async () => {
      const sealer = new Sealer(harness.secrets, harness.issuer);
      const now = Math.floor(Date.now() / 1000);
      const retired = await new Sealer([newSecret()], harness.issuer).seal('client', { ru: [REDIRECT] });
      const changed = `${clientId.slice(0, -4)}${clientId.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      const { verifier, challenge } = pkce();
      for (const [what, client] of [['a retired secret', retired], ['a changed client_id', changed], ['a made-up client_id', 'someone-else']] as const) {
        // A code and a refresh token that name this very client_id and open: only the client_id is wrong.
        const code = await sealer.seal('code', { cid: sha256(client), ru: sha256(REDIRECT), cc: challenge, res: harness.resource, key: KEY, jti: randomUUID() }, now + 60);
        const refresh = await sealer.seal('refresh', { cid: sha256(client), res: harness.resource, key: KEY, chain: randomUUID(), step: 1 }, now + 600);
        const answers = [
          await tokenRequest(harness.issuer, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: client, redirect_uri: REDIRECT }),
          await tokenRequest(harness.issuer, { grant_type: 'refresh_token', refresh_token: refresh, client_id: client }),
        ];
        for (const answer of answers) {
          assert.equal(answer.status, 401, what);
          assert.equal(answer.body.error, 'invalid_client', what);
          assert.ok(answer.headers.get('www-authenticate'), `${what}: a 401 names a scheme`);
          assert.equal(answer.headers.get('cache-control'), 'no-store');
          assert.ok(!String(answer.body.error_description).includes(client), `${what}: the client_id is not echoed`);
          assert.equal(answer.body.access_token, undefined);
        }
      }
    });

    it('refuses client credentials (public clients only) and unknown grants', async () => {
      const secret = await tokenRequest(harness.issuer, { grant_type: 'authorization_code', code: 'x', client_id: clientId, client_secret: 's' });
      assert.equal(secret.status, 401);
      assert.equal(secret.body.error, 'invalid_client');
      assert.match(secret.headers.get('www-authenticate') ?? '', /^Basic/);
      const basic = await tokenRequest(harness.issuer, { grant_type: 'authorization_code', code: 'x' }, { authorization: 'Basic YTpi' });
      assert.equal(basic.status, 401);
      const password = await tokenRequest(harness.issuer, { grant_type: 'password', username: 'a', password: 'b' });
      assert.equal(password.body.error, 'unsupported_grant_type');
    });

    it('rotates refresh tokens: each works once, an access token or a code is no refresh token', async () => {
      const tokens = await signedInTokens(harness, KEY);
      const refresh = (token: string, client = tokens.clientId) =>
        tokenRequest(harness.issuer, { grant_type: 'refresh_token', refresh_token: token, client_id: client, resource: harness.resource });
      assert.equal((await refresh(tokens.refresh_token, clientId)).body.error, 'invalid_grant', 'issued to another client');
      assert.equal((await refresh(tokens.access_token)).body.error, 'invalid_grant');
      const second = await refresh(tokens.refresh_token);
      assert.equal(second.status, 200);
      assert.notEqual(second.body.refresh_token, tokens.refresh_token);
      const third = await refresh(String(second.body.refresh_token));
      assert.equal(third.status, 200, 'the new one works');
      assert.equal((await mcpCall(harness.mcpUrl, String(third.body.access_token), toolCall(taskId))).status, 200);
    });

    it('revokes the sign-in when a used refresh token comes back: neither copy works after', async () => {
      const tokens = await signedInTokens(harness, KEY);
      const refresh = (token: string) =>
        tokenRequest(harness.issuer, { grant_type: 'refresh_token', refresh_token: token, client_id: tokens.clientId, resource: harness.resource });
      const legitimate = await refresh(tokens.refresh_token);
      assert.equal(legitimate.status, 200);
      const replay = await refresh(tokens.refresh_token);
      assert.equal(replay.status, 400);
      assert.equal(replay.body.error, 'invalid_grant');
      assert.match(String(replay.body.error_description), /used already; this sign-in is now revoked/);
      assert.equal((await refresh(String(legitimate.body.refresh_token))).body.error, 'invalid_grant', 'the newer refresh token died with the replay');
    });

    it('revokes what a code gave when the code comes back', async () => {
      const { verifier, challenge } = pkce();
      const code = await freshCode(challenge);
      const first = await exchange(code, verifier);
      assert.equal(first.status, 200);
      assert.equal((await exchange(code, verifier)).body.error, 'invalid_grant');
      const refreshed = await tokenRequest(harness.issuer, {
        grant_type: 'refresh_token',
        refresh_token: String(first.body.refresh_token),
        client_id: clientId,
        resource: harness.resource,
      });
      assert.equal(refreshed.body.error, 'invalid_grant', 'the refresh token of the replayed code is refused');
    });
  });

  describe('the MCP endpoint with tokens', () => {
    it('accepts an issued access token, calls the Flux API with the key sealed inside, and still takes raw keys', async () => {
      const tokens = await signedInTokens(harness, KEY);
      harness.sandbox.clearRequests();
      const withToken = await mcpCall(harness.mcpUrl, tokens.access_token, toolCall(taskId));
      assert.equal(withToken.status, 200);
      assert.match(withToken.text, /succeeded/);
      const upstream = harness.sandbox.taskRequests();
      assert.equal(upstream.length, 1);
      assert.equal(upstream[0]!.token, KEY, 'the Flux API got the key, never the token');
      const withKey = await mcpCall(harness.mcpUrl, KEY, toolCall(taskId));
      assert.equal(withKey.status, 200);
      assert.match(withKey.text, /succeeded/);
    });

    it('refuses tampered, expired, foreign-audience tokens and codes with 401 invalid_token, before any upstream call', async () => {
      const tokens = await signedInTokens(harness, KEY);
      const sealer = new Sealer(harness.secrets, harness.issuer);
      const now = Math.floor(Date.now() / 1000);
      const claims = { aud: harness.resource, cid: tokens.clientId, key: KEY };
      const bad: Record<string, string> = {
        tampered: `${tokens.access_token.slice(0, -4)}${tokens.access_token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`,
        expired: await sealer.seal('access', claims, now - 30),
        'another resource': await sealer.seal('access', { ...claims, aud: 'https://other.example/mcp' }, now + 600),
        'a refresh token': tokens.refresh_token,
        'a code': await sealer.seal('code', { cid: tokens.clientId, ru: REDIRECT, cc: 'x', res: harness.resource, key: KEY, jti: 'j' }, now + 60),
      };
      harness.sandbox.clearRequests();
      for (const [what, token] of Object.entries(bad)) {
        const answer = await mcpCall(harness.mcpUrl, token, toolCall(taskId));
        assert.equal(answer.status, 401, what);
        const challenge = answer.headers.get('www-authenticate') ?? '';
        assert.match(challenge, /error="invalid_token"/, what);
        assert.match(challenge, /resource_metadata="/, what);
      }
      assert.equal(harness.sandbox.requests.length, 0, 'nothing reached the Flux API');
      const expired = await mcpCall(harness.mcpUrl, bad.expired!, toolCall(taskId));
      assert.match(expired.headers.get('www-authenticate') ?? '', /expired/);
    });

    it('counts one key as one tenant, whether it comes in the header or in a token', async () => {
      const limited = await startOAuthHarness({ env: { RATE_LIMIT_PER_MINUTE: '3', RATE_LIMIT_SIGN_IN_PER_MINUTE: '1000' } });
      try {
        const key = 'key-one-tenant-0001';
        const id = limited.sandbox.addTask(key);
        const tokens = await signedInTokens(limited, key);
        const statuses = [];
        for (const bearer of [key, tokens.access_token, key, tokens.access_token]) {
          statuses.push((await mcpCall(limited.mcpUrl, bearer, toolCall(id))).status);
        }
        assert.deepEqual(statuses, [200, 200, 200, 429]);
      } finally {
        await limited.close();
      }
    });
  });

  describe('rate limits', () => {
    it("leaves valid tokens out of the per-address limits, which still bind header keys: a host's users share its addresses", async () => {
      const limited = await startOAuthHarness({
        env: { RATE_LIMIT_IP_PER_MINUTE: '4', RATE_LIMIT_REJECTED_KEYS: '1', RATE_LIMIT_SIGN_IN_PER_MINUTE: '1000', RATE_LIMIT_OAUTH_PER_MINUTE: '1000' },
      });
      try {
        const [alice, bob, carol] = ['key-tenant-alice-01', 'key-tenant-bob-0001', 'key-tenant-carol-01'];
        const ids = Object.fromEntries([alice, bob, carol].map((key) => [key, limited.sandbox.addTask(key)]));
        const tokens = { alice: await signedInTokens(limited, alice), bob: await signedInTokens(limited, bob) };
        // Alice rotates her key: her token's calls are now rejected upstream, again and again.
        limited.sandbox.removeKey(alice);
        for (let i = 0; i < 3; i++) assert.match((await mcpCall(limited.mcpUrl, tokens.alice.access_token, toolCall(ids[alice]!))).text, /rejected the API key/);
        const bobs = [];
        for (let i = 0; i < 6; i++) bobs.push((await mcpCall(limited.mcpUrl, tokens.bob.access_token, toolCall(ids[bob]!))).status);
        assert.deepEqual(bobs, [200, 200, 200, 200, 200, 200], "Bob is neither refused for Alice's rejected key nor by the per-address limit");
        const carols = [];
        for (let i = 0; i < 5; i++) carols.push((await mcpCall(limited.mcpUrl, carol, toolCall(ids[carol]!))).status);
        assert.deepEqual(carols, [200, 200, 200, 200, 429], 'header keys from the same address still count per address');
      } finally {
        await limited.close();
      }
    });

    it('caps submitted sign-in forms per client IP before the key is checked upstream', async () => {
      const limited = await startOAuthHarness({ env: { RATE_LIMIT_SIGN_IN_PER_MINUTE: '2' } });
      try {
        const client = await registeredClientId(limited.issuer, REDIRECT);
        const { challenge } = pkce();
        const form = await openConsent(authorizeUrl(limited.issuer, authorizeParams(limited, client, REDIRECT, challenge)));
        const statuses = [];
        for (let i = 0; i < 3; i++) statuses.push((await submitConsent(limited.issuer, form, { api_key: `wrong-${i}`, decision: 'approve' })).status);
        assert.deepEqual(statuses, [400, 400, 429]);
        assert.deepEqual(
          limited.sandbox.requests.map((request) => request.token),
          ['wrong-0', 'wrong-1'],
          'the refused third form never reached the Flux API',
        );
      } finally {
        await limited.close();
      }
    });
  });

  describe('bodies that cannot be read', () => {
    it('answers the sign-in form with an HTML page, and the API endpoints with OAuth JSON', async () => {
      const tooMany = new URLSearchParams(Array.from({ length: 11 }, (_, i): [string, string] => [`p${i}`, 'x'])).toString();
      const form = await fetch(`${harness.issuer}/oauth/authorize`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: harness.issuer, 'sec-fetch-site': 'same-origin' },
        body: tooMany,
      });
      assert.equal(form.status, 400);
      assert.match(form.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(form.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      assert.match(await form.text(), /too many parameters/);

      const register = await fetch(`${harness.issuer}/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"redirect_uris": [' });
      assert.equal(register.status, 400);
      assert.match(register.headers.get('content-type') ?? '', /^application\/json/);
      assert.deepEqual(await register.json(), { error: 'invalid_client_metadata', error_description: 'The request body could not be parsed.' });

      const token = await fetch(`${harness.issuer}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(Array.from({ length: 21 }, (_, i): [string, string] => [`p${i}`, 'x'])).toString(),
      });
      assert.equal(token.status, 400);
      assert.equal(((await token.json()) as { error: string }).error, 'invalid_request');
    });
  });

  describe('secret rotation', () => {
    it('a token sealed by a retired secret opens while the secret is listed and fails once it is removed', async () => {
      const [current, retired] = [pkce().verifier.slice(0, 43), pkce().verifier.slice(0, 43)];
      const before = await startOAuthHarness({ secrets: [retired] });
      const port = new URL(before.issuer).port;
      const key = 'key-rotation-0001';
      let tokens: Awaited<ReturnType<typeof signedInTokens>>;
      try {
        before.sandbox.addKey(key);
        tokens = await signedInTokens(before, key);
      } finally {
        await before.close();
      }
      const call = async (secrets: string[]) => {
        const service = await startOAuthHarness({ secrets, port: Number(port) });
        try {
          const id = service.sandbox.addTask(key);
          return (await mcpCall(service.mcpUrl, tokens.access_token, toolCall(id))).status;
        } finally {
          await service.close();
        }
      };
      assert.equal(await call([current, retired]), 200, 'new secret first, the old one still listed');
      assert.equal(await call([current]), 401, 'the old one removed');
    });
  });
});

describe('OAuth cookies on an https issuer', () => {
  it('uses a __Host- cookie with Secure, and accepts the form only from the https origin', async () => {
    const callback = await CallbackServer.start();
    const port = (await import('../helpers/net.js')).unusedPort;
    const chosen = await port();
    const issuer = `https://localhost:${chosen}`;
    const harness = await startOAuthHarness({ port: chosen, env: { PUBLIC_URL: issuer } });
    try {
      const { challenge } = pkce();
      const plain = `http://127.0.0.1:${chosen}`;
      const registered = await registerClient(plain, { redirect_uris: [callback.url] });
      const client = registered.body.client_id as string;
      const form = await openConsent(
        authorizeUrl(plain, authorizeParams({ issuer, resource: `${issuer}/mcp` }, client, callback.url, challenge)),
      );
      assert.match(form.page.headers.get('set-cookie') ?? '', /^__Host-flux_mcp_consent=[^;]+; .*Path=\/; .*HttpOnly; Secure; SameSite=Strict/);
      const fromHttp = await submitConsent(plain, form, { api_key: KEY, decision: 'cancel' }, { origin: plain });
      assert.equal(fromHttp.status, 403);
      const fromHttps = await submitConsent(plain, form, { api_key: KEY, decision: 'cancel' }, { origin: issuer });
      assert.equal(fromHttps.status, 303);
    } finally {
      await harness.close();
      await callback.close();
    }
  });
});
