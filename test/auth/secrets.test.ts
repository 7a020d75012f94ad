import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  authorizeParams,
  authorizeUrl,
  mcpCall,
  openConsent,
  pkce,
  registeredClientId,
  submitConsent,
  tokenRequest,
  toolCall,
  startOAuthHarness,
  type OAuthHarness,
} from '../helpers/oauth.js';

/** Keys that must never show up in a log line, a metric, a page or a URL in clear. */
const SENTINEL = 'sk-SENTINEL-oauth-5b1d4068a4e2c9f1b7d3e5a0';
const REJECTED = 'sk-SENTINEL-rejected-9c2e5b1d4068a4e2c9f1';
const REDIRECT = 'http://127.0.0.1:5556/callback';

describe('OAuth keeps keys, codes and tokens out of logs, metrics, pages and URLs', () => {
  let harness: OAuthHarness;

  before(async () => {
    harness = await startOAuthHarness({ env: { LOG_LEVEL: 'trace' } });
    harness.sandbox.addKey(SENTINEL);
  });
  after(async () => {
    await harness.close();
  });

  it('through a whole sign-in, a rejected key, a token exchange, refreshes, tool calls and refusals', async () => {
    const seen: string[] = [];
    const taskId = harness.sandbox.addTask(SENTINEL);
    const clientId = await registeredClientId(harness.issuer, REDIRECT);
    const { verifier, challenge } = pkce();
    const form = await openConsent(authorizeUrl(harness.issuer, authorizeParams(harness, clientId, REDIRECT, challenge)));
    seen.push(form.html);

    const rejected = await submitConsent(harness.issuer, form, { api_key: REJECTED, decision: 'approve' });
    seen.push(await rejected.text(), rejected.headers.get('location') ?? '');
    assert.equal(rejected.status, 400);

    const approved = await submitConsent(harness.issuer, form, { api_key: SENTINEL, decision: 'approve' });
    const location = approved.headers.get('location') ?? '';
    seen.push(location, await approved.text());
    const code = new URL(location).searchParams.get('code')!;
    assert.ok(code, 'a code was issued');

    const tokens = await tokenRequest(harness.issuer, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: clientId, redirect_uri: REDIRECT });
    const accessToken = String(tokens.body.access_token);
    const refreshed = await tokenRequest(harness.issuer, { grant_type: 'refresh_token', refresh_token: String(tokens.body.refresh_token), client_id: clientId });
    // The replay revokes the sign-in's refresh tokens, so it comes after the refresh.
    const replay = await tokenRequest(harness.issuer, { grant_type: 'authorization_code', code, code_verifier: verifier, client_id: clientId });
    seen.push(JSON.stringify(tokens.body), JSON.stringify(refreshed.body), JSON.stringify(replay.body));

    const call = await mcpCall(harness.mcpUrl, accessToken, toolCall(taskId));
    assert.equal(call.status, 200);
    assert.match(call.text, /succeeded/);
    seen.push(call.text);
    const tampered = await mcpCall(harness.mcpUrl, `${accessToken.slice(0, -3)}xyz`, toolCall(taskId));
    seen.push(tampered.text, tampered.headers.get('www-authenticate') ?? '');
    const withId = await fetch(harness.mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${accessToken}`, 'x-request-id': SENTINEL, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify(toolCall(taskId)),
    });
    seen.push(await withId.text(), withId.headers.get('x-request-id') ?? '');
    assert.notEqual(withId.headers.get('x-request-id'), SENTINEL, 'a request id carrying the sealed key is replaced');
    const metrics = await (await fetch(new URL('/metrics', harness.service.url))).text();
    seen.push(metrics);
    assert.match(metrics, /flux_mcp_oauth_sign_ins_total\{outcome="approved"\} 1/);
    assert.match(metrics, /flux_mcp_oauth_sign_ins_total\{outcome="key_rejected"\} 1/);
    assert.match(metrics, /flux_mcp_oauth_tokens_issued_total\{grant="authorization_code"\} 1/);
    assert.match(metrics, /flux_mcp_oauth_tokens_issued_total\{grant="refresh_token"\} 1/);
    assert.match(metrics, /flux_mcp_oauth_refusals_total\{endpoint="token",reason="replayed"\} 1/);
    assert.match(metrics, /flux_mcp_oauth_refusals_total\{endpoint="mcp",reason="invalid_token"\} 1/);

    assert.ok(harness.sandbox.requests.some((request) => request.token === SENTINEL), 'the key did reach the Flux API');
    assert.ok(harness.sandbox.requests.some((request) => request.token === REJECTED), 'the rejected key was checked there');
    assert.ok(harness.logs.records().some((record) => record.level === 'debug'), 'debug lines were logged');
    const logs = harness.logs.text;
    for (const secret of [SENTINEL, REJECTED]) {
      assert.ok(!logs.includes(secret.slice(3, 24)), 'no key in the logs');
      for (const text of seen) assert.ok(!text.includes(secret.slice(3, 24)), `no key in: ${text.slice(0, 120)}`);
    }
    for (const secret of [code, accessToken, String(tokens.body.refresh_token)]) {
      assert.ok(!logs.includes(secret.slice(20, 60)), 'no code or token in the logs');
      assert.ok(!metrics.includes(secret.slice(20, 60)), 'no code or token in the metrics');
    }
  });
});
