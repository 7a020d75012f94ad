import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHarness, type Harness, type HarnessOptions } from './harness.js';
import { unusedPort } from './net.js';

/** A fresh OAuth secret, as the README says to make one. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export interface OAuthHarness extends Harness {
  /** PUBLIC_URL: the issuer. */
  readonly issuer: string;
  /** `${issuer}/mcp`: the resource. */
  readonly resource: string;
  readonly secrets: readonly string[];
}

/**
 * The harness with OAuth on: PUBLIC_URL is the loopback origin the service listens on (a port
 * picked first, so the issuer is known before the service starts).
 */
export async function startOAuthHarness(options: HarnessOptions & { secrets?: readonly string[]; port?: number } = {}): Promise<OAuthHarness> {
  const port = options.port ?? (await unusedPort());
  const issuer = `http://127.0.0.1:${port}`;
  const secrets = options.secrets ?? [newSecret()];
  const harness = await startHarness({
    ...options,
    env: { PORT: String(port), PUBLIC_URL: issuer, OAUTH_SECRETS: secrets.join(','), ...options.env },
  });
  return Object.assign(harness, { issuer, resource: `${issuer}/mcp`, secrets });
}

export interface Pkce {
  readonly verifier: string;
  readonly challenge: string;
}

export function pkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export async function registerClient(issuer: string, metadata: Record<string, unknown>): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${issuer}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(metadata),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Registers a client with one redirect URI and returns its client_id. */
export async function registeredClientId(issuer: string, redirectUri: string, name = 'Test client'): Promise<string> {
  const { status, body } = await registerClient(issuer, { client_name: name, redirect_uris: [redirectUri] });
  if (status !== 201) throw new Error(`registration answered ${status}`);
  return body.client_id as string;
}

export function authorizeUrl(issuer: string, params: Record<string, string | undefined>): URL {
  const url = new URL(`${issuer}/oauth/authorize`);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url;
}

/** The usual authorization request parameters, overridable one by one (undefined drops one). */
export function authorizeParams(
  harness: { issuer: string; resource: string },
  clientId: string,
  redirectUri: string,
  challenge: string,
  overrides: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: 'state-123',
    resource: harness.resource,
    ...overrides,
  };
}

export interface ConsentForm {
  readonly page: Response;
  readonly html: string;
  /** The sealed form token. */
  readonly consent: string;
  /** `name=value` of the consent cookie. */
  readonly cookie: string;
}

/** GETs the authorization endpoint and reads the consent form from the page. */
export async function openConsent(url: URL): Promise<ConsentForm> {
  const page = await fetch(url, { redirect: 'manual' });
  const html = await page.text();
  const consent = /name="consent" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
  return { page, html, consent, cookie };
}

/** POSTs the consent form as the page's own browser would (same origin, its cookie), with `overrides`. */
export async function submitConsent(
  issuer: string,
  form: ConsentForm,
  fields: Record<string, string>,
  headers: Record<string, string | undefined> = {},
): Promise<Response> {
  const sent: Record<string, string> = {};
  for (const [name, value] of Object.entries({
    'content-type': 'application/x-www-form-urlencoded',
    cookie: form.cookie,
    origin: issuer,
    'sec-fetch-site': 'same-origin',
    ...headers,
  })) {
    if (value !== undefined) sent[name] = value;
  }
  return fetch(`${issuer}/oauth/authorize`, {
    method: 'POST',
    redirect: 'manual',
    headers: sent,
    body: new URLSearchParams({ consent: form.consent, ...fields }),
  });
}

/** The whole front channel without a browser: the consent page, then Approve with `apiKey`. Returns the redirect. */
export async function signInWithoutBrowser(url: URL, issuer: string, apiKey: string): Promise<URL> {
  const form = await openConsent(url);
  const answer = await submitConsent(issuer, form, { api_key: apiKey, decision: 'approve' });
  const location = answer.headers.get('location');
  if (answer.status !== 303 || location === null) throw new Error(`consent answered ${answer.status}: ${await answer.text()}`);
  return new URL(location);
}

export async function tokenRequest(issuer: string, params: Record<string, string | undefined>, headers: Record<string, string> = {}): Promise<{
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) body.set(name, value);
  const response = await fetch(`${issuer}/oauth/token`, { method: 'POST', headers, body });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

export interface Tokens {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly expires_in: number;
  readonly token_type: string;
  readonly scope: string;
}

/** Registers a client, signs in with `apiKey` without a browser and exchanges the code: the tokens. */
export async function signedInTokens(harness: { issuer: string; resource: string }, apiKey: string): Promise<Tokens & { clientId: string }> {
  const redirectUri = 'http://127.0.0.1:9/callback';
  const clientId = await registeredClientId(harness.issuer, redirectUri);
  const { verifier, challenge } = pkce();
  const back = await signInWithoutBrowser(authorizeUrl(harness.issuer, authorizeParams(harness, clientId, redirectUri, challenge)), harness.issuer, apiKey);
  const answer = await tokenRequest(harness.issuer, {
    grant_type: 'authorization_code',
    code: back.searchParams.get('code') ?? '',
    code_verifier: verifier,
    client_id: clientId,
    redirect_uri: redirectUri,
    resource: harness.resource,
  });
  if (answer.status !== 200) throw new Error(`token endpoint answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return { ...(answer.body as unknown as Tokens), clientId };
}

/** A loopback redirect target: records every callback URL it is sent to. */
export class CallbackServer {
  readonly received: URL[] = [];
  #waiters: ((url: URL) => void)[] = [];
  private constructor(
    readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<CallbackServer> {
    let instance: CallbackServer | undefined;
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', instance!.url);
      instance!.received.push(url);
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Signed in</title><p>You can close this tab.</p>');
      for (const waiter of instance!.#waiters.splice(0)) waiter(url);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    instance = new CallbackServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`);
    return instance;
  }

  /** The next callback URL. */
  next(): Promise<URL> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

/** A raw MCP POST with a bearer credential. */
export async function mcpCall(mcpUrl: URL, bearer: string | undefined, body: unknown): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(mcpUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(bearer !== undefined ? { authorization: `Bearer ${bearer}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

export function toolCall(taskId: string): unknown {
  return { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'flux_get_task', arguments: { task_id: taskId } } };
}
