import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { generate } from 'selfsigned';
import { ClientMetadataDocuments, ClientMetadataError, publicAddress } from '../../src/auth/clientMetadataDocuments.js';
import { authorizeParams, authorizeUrl, pkce, startOAuthHarness } from '../helpers/oauth.js';

interface Route {
  status?: number;
  headers?: Record<string, string>;
  body: (origin: string, path: string) => string;
}

/** A loopback https server with a certificate from a CA made here, counting requests per path. */
async function documentServer(routes: Record<string, Route>): Promise<{ server: Server; origin: string; ca: string; hits: Map<string, number> }> {
  const notAfterDate = new Date(Date.now() + 86_400_000);
  const ca = await generate([{ name: 'commonName', value: 'flux-mcp test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] }],
  });
  const hits = new Map<string, number>();
  let origin = '';
  const server = createServer({ key: leaf.private, cert: leaf.cert }, (req, res) => {
    const path = req.url ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route = routes[path];
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(route.status ?? 200, { 'content-type': 'application/json', ...route.headers }).end(route.body(origin, path));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, origin, ca: ca.cert, hits };
}

const REDIRECT = 'http://127.0.0.1:7000/callback';
const doc = (origin: string, path: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ client_id: `${origin}${path}`, client_name: 'Document client', redirect_uris: [REDIRECT], ...extra });

describe('Client ID Metadata Documents', () => {
  let fixture: Awaited<ReturnType<typeof documentServer>>;
  let flaky = 0;

  before(async () => {
    fixture = await documentServer({
      '/good.json': { headers: { 'cache-control': 'max-age=3600' }, body: (origin, path) => doc(origin, path) },
      '/uncached.json': { headers: { 'cache-control': 'no-store' }, body: (origin, path) => doc(origin, path) },
      '/mismatch.json': { body: (origin) => doc(origin, '/other.json') },
      '/secret.json': { body: (origin, path) => doc(origin, path, { client_secret: 'x', token_endpoint_auth_method: 'client_secret_basic' }) },
      '/no-redirects.json': { body: (origin, path) => doc(origin, path, { redirect_uris: ['http://evil.example/cb'] }) },
      '/moved.json': { status: 302, headers: { location: '/good.json' }, body: () => '' },
      '/html.json': { headers: { 'content-type': 'text/html' }, body: () => '<html></html>' },
      '/huge.json': { body: (origin, path) => doc(origin, path, { padding: 'x'.repeat(6000) }) },
      // Documents that name themselves by a non-canonical spelling of their own URL.
      '/dots.json': { body: (origin) => doc(origin, '/x/%2e%2e/dots.json') },
      '/upper.json': { body: (origin) => doc(origin.replace('127.0.0.1', 'LOCALHOST'), '/upper.json') },
      '/long-redirect.json': { body: (origin, path) => doc(origin, path, { redirect_uris: [`https://app.example/${'a'.repeat(2048)}`, REDIRECT] }) },
      '/flaky.json': {
        body: (origin, path) => (flaky++ === 0 ? '{"broken": ' : doc(origin, path)),
      },
    });
  });
  after(async () => {
    await new Promise<void>((resolve) => fixture.server.close(() => resolve()));
  });

  const testDocuments = () => new ClientMetadataDocuments({ testFixture: { extraCa: fixture.ca, allowLoopback: true } });

  it('reads a good document over https from a loopback server trusted for the test', async () => {
    const documents = testDocuments();
    try {
      const found = await documents.get(`${fixture.origin}/good.json`);
      assert.deepEqual(found, { clientId: `${fixture.origin}/good.json`, clientName: 'Document client', redirectUris: [REDIRECT] });
    } finally {
      await documents.close();
    }
  });

  it('refuses, with production settings, ids whose host is or resolves to a loopback or private address: before any connection', async () => {
    const documents = new ClientMetadataDocuments();
    const port = new URL(fixture.origin).port;
    const before = fixture.hits.get('/good.json') ?? 0;
    try {
      for (const url of [`${fixture.origin}/good.json`, `https://localhost:${port}/good.json`, 'https://10.1.2.3/client.json', 'https://[::1]/client.json', 'https://169.254.169.254/latest']) {
        await assert.rejects(documents.get(url), (error) => error instanceof ClientMetadataError && error.reason === 'forbidden_address', url);
      }
      assert.equal(fixture.hits.get('/good.json') ?? 0, before, 'the document server never saw a request');
    } finally {
      await documents.close();
    }
  });

  it('knows which addresses are public', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111']) assert.equal(publicAddress(address), true, address);
    for (const address of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:10.0.0.1', '224.0.0.1']) {
      assert.equal(publicAddress(address), false, address);
    }
    assert.equal(publicAddress('127.0.0.1', true), true, 'loopback only when a test allows it');
  });

  const refusals: [string, string, string][] = [
    ['a document naming another client_id', '/mismatch.json', 'invalid_document'],
    ['a document with a client secret', '/secret.json', 'invalid_document'],
    ['a document without usable redirect URIs', '/no-redirects.json', 'invalid_document'],
    ['a redirect (never followed)', '/moved.json', 'bad_status'],
    ['an answer that is not JSON', '/html.json', 'not_json'],
    ['a document over 5 KiB', '/huge.json', 'too_large'],
    ['a missing document', '/missing.json', 'bad_status'],
  ];
  for (const [what, path, reason] of refusals) {
    it(`refuses ${what}`, async () => {
      const documents = testDocuments();
      try {
        await assert.rejects(documents.get(`${fixture.origin}${path}`), (error) => error instanceof ClientMetadataError && error.reason === reason);
      } finally {
        await documents.close();
      }
    });
  }

  it('refuses ids that are not https URLs with a path', async () => {
    const documents = testDocuments();
    try {
      for (const url of [`http://127.0.0.1:1/client.json`, `${fixture.origin}/`, `${fixture.origin}/a/../good.json#x`]) {
        await assert.rejects(documents.get(url), (error) => error instanceof ClientMetadataError && error.reason === 'invalid_url', url);
      }
    } finally {
      await documents.close();
    }
  });

  it('refuses a client_id URL that is not in canonical form, before any request: two spellings must not name one document', async () => {
    const documents = testDocuments();
    const port = new URL(fixture.origin).port;
    const before = { dots: fixture.hits.get('/dots.json') ?? 0, upper: fixture.hits.get('/upper.json') ?? 0 };
    try {
      for (const url of [`${fixture.origin}/x/%2e%2e/dots.json`, `https://LOCALHOST:${port}/upper.json`, `${fixture.origin}/x/../dots.json`]) {
        await assert.rejects(
          documents.get(url),
          (error) => error instanceof ClientMetadataError && error.reason === 'invalid_url' && /canonical/.test(error.message),
          url,
        );
      }
      assert.deepEqual({ dots: fixture.hits.get('/dots.json') ?? 0, upper: fixture.hits.get('/upper.json') ?? 0 }, before, 'no document was fetched');
    } finally {
      await documents.close();
    }
    const production = new ClientMetadataDocuments({ timeoutMs: 1_000 });
    try {
      for (const url of ['https://example.com/a/%2e%2e/b', 'https://EXAMPLE.com/x', 'https://example.com:443/x', 'HTTPS://example.com/x']) {
        await assert.rejects(production.get(url), (error) => error instanceof ClientMetadataError && error.reason === 'invalid_url', url);
      }
    } finally {
      await production.close();
    }
  });

  it('bounds sizes as registration does: the client_id URL, each redirect URI', async () => {
    const documents = testDocuments();
    try {
      const found = await documents.get(`${fixture.origin}/long-redirect.json`);
      assert.deepEqual(found.redirectUris, [REDIRECT], 'a redirect URI over 2,048 bytes is not used');
      const long = `${fixture.origin}/${'a'.repeat(2048)}.json`;
      await assert.rejects(documents.get(long), (error) => error instanceof ClientMetadataError && error.reason === 'invalid_url' && /at most 2048/.test(error.message));
    } finally {
      await documents.close();
    }
  });

  it('caches a good document as its Cache-Control says, at least a minute, and never caches a failure', async () => {
    const documents = testDocuments();
    try {
      for (const path of ['/good.json', '/uncached.json']) {
        await documents.get(`${fixture.origin}${path}`);
        await documents.get(`${fixture.origin}${path}`);
        assert.equal(fixture.hits.get(path) ?? 0, path === '/good.json' ? 2 : 1, path);
      }
      await assert.rejects(documents.get(`${fixture.origin}/flaky.json`));
      const second = await documents.get(`${fixture.origin}/flaky.json`);
      assert.equal(second.clientName, 'Document client', 'the failure was not cached');
      assert.equal(fixture.hits.get('/flaky.json'), 2);
    } finally {
      await documents.close();
    }
  });

  it('a production service shows an error page, and never redirects, for a client id on a private address', async () => {
    const harness = await startOAuthHarness();
    try {
      const clientId = `${fixture.origin}/good.json`;
      const before = fixture.hits.get('/good.json') ?? 0;
      const { challenge } = pkce();
      const response = await fetch(authorizeUrl(harness.issuer, authorizeParams(harness, clientId, REDIRECT, challenge)), { redirect: 'manual' });
      assert.equal(response.status, 400);
      assert.equal(response.headers.get('location'), null);
      assert.match(await response.text(), /not a public internet address/);
      assert.equal(fixture.hits.get('/good.json') ?? 0, before);
    } finally {
      await harness.close();
    }
  });
});
