import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The demo's stand-in for an OAuth client, so a person can try the sign-in page with nothing
 * else installed: a sign-in link (registered at start, with PKCE), and a loopback callback page
 * that does what a client does next (exchanges the code, calls a tool with the access token) and
 * shows the outcome. It never shows the code or the tokens.
 */
export interface DemoSignIn {
  /** The authorization URL to open in a browser. */
  readonly link: string;
  close(): Promise<void>;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>${escapeHtml(title)}</title><body style="font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:3rem auto"><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

export async function startDemoSignIn(serviceUrl: string, taskId: string): Promise<DemoSignIn> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(16).toString('base64url');
  let redirectUri = '';
  let clientId = '';

  const server: Server = createServer((req, res) => {
    void (async () => {
      const params = new URL(req.url ?? '/', redirectUri).searchParams;
      const send = (status: number, title: string, body: string) =>
        res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).end(page(title, body));
      if (params.get('state') !== state || params.get('iss') !== serviceUrl) {
        send(400, 'Not this sign-in', '<p>The state or issuer does not match the demo link. Open the link the demo printed.</p>');
        return;
      }
      if (params.get('error')) {
        send(200, 'Sign-in cancelled', `<p>flux-mcp sent the app <code>error=${escapeHtml(params.get('error') ?? '')}</code>: nothing was issued.</p>`);
        return;
      }
      const exchange = await fetch(`${serviceUrl}/oauth/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'authorization_code', code: params.get('code') ?? '', code_verifier: verifier, client_id: clientId, redirect_uri: redirectUri }),
      });
      const tokens = (await exchange.json()) as { access_token?: string; expires_in?: number; refresh_token?: string; error?: string };
      if (!tokens.access_token) {
        send(400, 'The code was refused', `<p>The token endpoint answered <code>${escapeHtml(tokens.error ?? String(exchange.status))}</code>. Codes work once and for a minute: open the demo link again.</p>`);
        return;
      }
      const call = await fetch(`${serviceUrl}/mcp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'flux_get_task', arguments: { task_id: taskId } } }),
      });
      const answer = (await call.json()) as { result?: { content?: { text?: string }[] } };
      const text = answer.result?.content?.[0]?.text ?? `HTTP ${call.status}`;
      send(
        200,
        'Signed in',
        `<p>This page stands in for the app. flux-mcp sent it an authorization code, and the app exchanged it for an access token (valid ${tokens.expires_in} s) and a refresh token, both sealed: neither shows the key.</p><p>With the access token, <code>tools/call flux_get_task</code> answered:</p><pre style="white-space:pre-wrap;background:#f4f5f7;padding:1rem;border-radius:8px">${escapeHtml(text)}</pre>`,
      );
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end('The demo callback failed.');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;

  const registration = await fetch(`${serviceUrl}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'flux-mcp demo page', redirect_uris: [redirectUri] }),
  });
  clientId = ((await registration.json()) as { client_id: string }).client_id;
  const link = new URL(`${serviceUrl}/oauth/authorize`);
  for (const [name, value] of Object.entries({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    resource: `${serviceUrl}/mcp`,
  })) {
    link.searchParams.set(name, value);
  }
  return {
    link: link.href,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
