import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  auth,
  Client as V2Client,
  StreamableHTTPClientTransport as V2HttpTransport,
  UnauthorizedError as V2UnauthorizedError,
  type OAuthClientInformationMixed,
  type OAuthClientMetadata,
  type OAuthClientProvider,
  type OAuthDiscoveryState,
  type OAuthTokens,
} from '@modelcontextprotocol/client';
import type { OAuthClientProvider as V1OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { UnauthorizedError as V1UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1HttpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Page } from 'playwright-core';
import { generate } from 'selfsigned';
import { launchBrowser, type Browser } from '../helpers/browser.js';
import { CallbackServer, startOAuthHarness, tokenRequest, type OAuthHarness } from '../helpers/oauth.js';

/**
 * The whole sign-in, end to end, with OAuth clients this project did not write (the SDK v2
 * client's OAuth support, and the v1 client's) and a real browser (the OS's Chromium) on the
 * consent page: discovery, registration (dynamic, or a Client ID Metadata Document served over
 * https with a CA made for this test), the consent page, the code exchange, tool calls with the
 * token in both protocol eras, and refreshes.
 */

const KEY = `key-browser-${randomBytes(6).toString('hex')}`;
const SCREENSHOT = new URL('../../docs/screenshots/consent.png', import.meta.url);
const CLIENT_NAME = 'Example MCP Client';

type TaskResult = { result: { task_id: string; status: string } };

/** The token with its authentication tag changed: still shaped like one of ours, but it no longer opens. */
function spoiled(token: string): string {
  return `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
}

/** An OAuthClientProvider whose user is a headless Chromium typing the key into the consent page. */
class BrowserSignIn implements OAuthClientProvider {
  info: OAuthClientInformationMixed | undefined;
  stored: OAuthTokens | undefined;
  verifier: string | undefined;
  discovery: OAuthDiscoveryState | undefined;
  lastState: string | undefined;
  /** The callback URL the latest sign-in came back to. */
  signedIn: Promise<URL> | undefined;

  constructor(
    private readonly browser: Browser,
    private readonly callback: CallbackServer,
    readonly clientMetadataUrl?: string,
    private readonly onConsentPage?: (page: Page) => Promise<void>,
  ) {}

  get redirectUrl(): string {
    return this.callback.url;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: CLIENT_NAME,
      redirect_uris: [this.callback.url],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.info = info;
  }
  tokens() {
    return this.stored;
  }
  saveTokens(tokens: OAuthTokens) {
    this.stored = tokens;
  }
  state() {
    this.lastState = randomBytes(16).toString('base64url');
    return this.lastState;
  }
  saveDiscoveryState(state: OAuthDiscoveryState) {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    if (this.verifier === undefined) throw new Error('no code verifier saved');
    return this.verifier;
  }
  redirectToAuthorization(url: URL) {
    this.signedIn = this.#signIn(url);
  }

  async #signIn(url: URL): Promise<URL> {
    const page = await this.browser.context.newPage();
    try {
      const arrived = this.callback.next();
      await page.goto(url.href);
      await this.onConsentPage?.(page);
      await page.fill('input[name=api_key]', KEY);
      await page.click('button[value=approve]');
      return await arrived;
    } finally {
      await page.close();
    }
  }
}

async function clientMetadataServer(ca: { private: string; cert: string }, redirectUri: () => string): Promise<{ server: Server; url: string; hits: () => number }> {
  const leaf = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 86_400_000),
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
    ],
  });
  let url = '';
  let hits = 0;
  const server = createServer({ key: leaf.private, cert: leaf.cert }, (req, res) => {
    hits++;
    if (req.url !== '/oauth/client.json') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' }).end(
      JSON.stringify({
        client_id: url,
        client_name: CLIENT_NAME,
        redirect_uris: [redirectUri()],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/client.json`;
  return { server, url, hits: () => hits };
}

function taskOf(result: unknown): TaskResult['result'] {
  return ((result as { structuredContent: TaskResult }).structuredContent as TaskResult).result;
}

describe('sign-in end to end: SDK OAuth clients, headless Chromium on the consent page', () => {
  let harness: OAuthHarness;
  let browser: Browser;
  let callback: CallbackServer;
  let cimd: Awaited<ReturnType<typeof clientMetadataServer>>;
  let taskId: string;

  before(async () => {
    const ca = await generate([{ name: 'commonName', value: 'flux-mcp test CA' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      notAfterDate: new Date(Date.now() + 86_400_000),
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ],
    });
    callback = await CallbackServer.start();
    cimd = await clientMetadataServer(ca, () => callback.url);
    harness = await startOAuthHarness({
      env: { RATE_LIMIT_SIGN_IN_PER_MINUTE: '1000' },
      service: { clientMetadata: { testFixture: { extraCa: ca.cert, allowLoopback: true } } },
    });
    taskId = harness.sandbox.addTask(KEY);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await harness?.close();
    await callback?.close();
    await new Promise<void>((resolve) => (cimd ? cimd.server.close(() => resolve()) : resolve()));
  });

  /** Connecting without a token starts the sign-in; the browser completes it; finishAuth exchanges the code. */
  async function signInV2(provider: BrowserSignIn, mode: 'modern' | 'auto'): Promise<V2Client> {
    const versionNegotiation = { mode: mode === 'modern' ? { pin: '2026-07-28' } : 'auto' } as never;
    const first = new V2HttpTransport(harness.mcpUrl, { authProvider: provider });
    await assert.rejects(new V2Client({ name: 'e2e', version: '1' }, { versionNegotiation }).connect(first), (error) => error instanceof V2UnauthorizedError);
    const back = await provider.signedIn!;
    assert.equal(back.searchParams.get('state'), provider.lastState, 'state comes back');
    assert.equal(back.searchParams.get('iss'), harness.issuer, 'iss comes back (RFC 9207)');
    await first.finishAuth(back.searchParams);
    const client = new V2Client({ name: 'e2e', version: '1' }, { versionNegotiation });
    await client.connect(new V2HttpTransport(harness.mcpUrl, { authProvider: provider }));
    return client;
  }

  async function assertToolWorks(client: { callTool: V2Client['callTool'] }) {
    harness.sandbox.clearRequests();
    const result = await client.callTool({ name: 'flux_get_task', arguments: { task_id: taskId } });
    assert.deepEqual(taskOf(result), { ...taskOf(result), task_id: taskId, status: 'succeeded' });
    assert.equal(harness.sandbox.taskRequests().at(-1)?.token, KEY, 'the Flux API got the signed-in key');
  }

  it('dynamic registration, v2 client pinned to 2026-07-28: sign in, call a tool, refresh on 401, refresh again, replay refused', async () => {
    const provider = new BrowserSignIn(browser, callback);
    const client = await signInV2(provider, 'modern');
    try {
      assert.equal(client.getProtocolEra(), 'modern');
      assert.match(String(provider.info?.client_id), /^eyJ/, 'registered dynamically');
      await assertToolWorks(client);

      const firstRefresh = provider.stored!.refresh_token!;
      const bad = spoiled(provider.stored!.access_token);
      provider.stored = { ...provider.stored!, access_token: bad };
      await assertToolWorks(client);
      assert.notEqual(provider.stored.access_token, bad, 'the 401 made the client refresh');
      assert.notEqual(provider.stored.refresh_token, firstRefresh, 'the refresh token rotated');

      const previous = provider.stored.refresh_token!;
      assert.equal(await auth(provider, { serverUrl: harness.mcpUrl }), 'AUTHORIZED');
      assert.notEqual(provider.stored.refresh_token, previous);
      const replay = await tokenRequest(harness.issuer, { grant_type: 'refresh_token', refresh_token: previous, client_id: String(provider.info!.client_id) });
      assert.equal(replay.status, 400);
      assert.equal(replay.body.error, 'invalid_grant');
      await assertToolWorks(client);

      // The same token in the 2025 era: a v2 client on its default (legacy) negotiation.
      const legacy = new V2Client({ name: 'e2e-legacy', version: '1' });
      await legacy.connect(new V2HttpTransport(harness.mcpUrl, { authProvider: provider }));
      try {
        assert.equal(legacy.getProtocolEra(), 'legacy');
        await assertToolWorks(legacy);
      } finally {
        await legacy.close();
      }
    } finally {
      await client.close();
    }
  });

  it('Client ID Metadata Document over https, v2 client in auto mode: sign in and call a tool (the consent page screenshot)', async () => {
    const hitsBefore = cimd.hits();
    const provider = new BrowserSignIn(browser, callback, cimd.url, async (page) => {
      assert.equal(await page.locator('h1').textContent(), 'Sign in to Flux MCP');
      const text = await page.locator('main').innerText();
      assert.match(text, new RegExp(CLIENT_NAME));
      assert.match(text, new RegExp(new URL(cimd.url).host.replace(/\./g, '\\.')), 'the client id host');
      assert.match(text, new RegExp(new URL(callback.url).host.replace(/\./g, '\\.')), 'where it sends the user back');
      const shot = await page.screenshot({ fullPage: true });
      assert.ok(shot.length > 10_000, 'a real picture of the page');
      if (process.env.UPDATE_SCREENSHOTS === '1') {
        await mkdir(new URL('.', SCREENSHOT), { recursive: true });
        await writeFile(SCREENSHOT, shot);
      }
    });
    const client = await signInV2(provider, 'auto');
    try {
      assert.equal(provider.info?.client_id, cimd.url, 'the metadata document URL is the client id');
      assert.ok(cimd.hits() > hitsBefore, 'the server fetched the document');
      await assertToolWorks(client);
      provider.stored = { ...provider.stored!, access_token: spoiled(provider.stored!.access_token) };
      await assertToolWorks(client);
    } finally {
      await client.close();
    }
  });

  it('the SDK v1 client (2025 era) signs in with its own OAuth support and calls a tool', async () => {
    const provider = new BrowserSignIn(browser, callback);
    const first = new V1HttpTransport(harness.mcpUrl, { authProvider: provider as unknown as V1OAuthClientProvider });
    await assert.rejects(new V1Client({ name: 'e2e-v1', version: '1' }).connect(first), (error) => error instanceof V1UnauthorizedError);
    const back = await provider.signedIn!;
    assert.equal(back.searchParams.get('state'), provider.lastState);
    await first.finishAuth(back.searchParams.get('code')!);
    const client = new V1Client({ name: 'e2e-v1', version: '1' });
    await client.connect(new V1HttpTransport(harness.mcpUrl, { authProvider: provider as unknown as V1OAuthClientProvider }));
    try {
      await assertToolWorks(client as unknown as V2Client);
    } finally {
      await client.close();
    }
  });
});
