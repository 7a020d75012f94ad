import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { INITIALIZE, startHarness, type Harness } from '../helpers/harness.js';
import { rawRequest } from '../helpers/rawHttp.js';

const KEY = 'key-host-origin-0001';
const BODY = JSON.stringify(INITIALIZE);

function headers(extra: Record<string, string>): Record<string, string> {
  return {
    authorization: `Bearer ${KEY}`,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    ...extra,
  };
}

describe('host and origin policy on a loopback binding (defaults)', () => {
  let harness: Harness;
  let port: string;

  before(async () => {
    harness = await startHarness();
    port = harness.mcpUrl.port;
  });
  after(async () => {
    await harness.close();
  });

  for (const host of ['localhost', '127.0.0.1', '[::1]']) {
    it(`accepts Host ${host}`, async () => {
      const response = await rawRequest(harness.mcpUrl, { headers: headers({ host: `${host}:${port}` }), body: BODY });
      assert.equal(response.status, 200);
    });
  }

  it('refuses another Host with 403 and a JSON error (DNS rebinding)', async () => {
    const response = await rawRequest(harness.mcpUrl, { headers: headers({ host: `evil.example.com:${port}` }), body: BODY });
    assert.equal(response.status, 403);
    assert.match((response.json as { error: { message: string } }).error.message, /Host "evil.example.com:\d+" is not allowed/);
  });

  it('refuses a foreign Origin with 403 and a JSON error', async () => {
    const response = await rawRequest(harness.mcpUrl, { headers: headers({ origin: 'http://evil.example.com' }), body: BODY });
    assert.equal(response.status, 403);
    assert.match((response.json as { error: { message: string } }).error.message, /Origin "http:\/\/evil.example.com" is not allowed/);
    assert.equal(response.headers['access-control-allow-origin'], undefined);
  });

  it('accepts a localhost Origin on any port and answers with CORS headers', async () => {
    const response = await rawRequest(harness.mcpUrl, { headers: headers({ origin: 'http://localhost:5173' }), body: BODY });
    assert.equal(response.status, 200);
    assert.equal(response.headers['access-control-allow-origin'], 'http://localhost:5173');
    const exposed = String(response.headers['access-control-expose-headers']).toLowerCase();
    for (const name of ['www-authenticate', 'mcp-session-id', 'mcp-protocol-version', 'x-request-id', 'retry-after']) assert.ok(exposed.includes(name), name);
  });

  it('needs no Origin at all (non-browser clients)', async () => {
    const response = await rawRequest(harness.mcpUrl, { headers: headers({}), body: BODY });
    assert.equal(response.status, 200);
    assert.equal(response.headers['access-control-allow-origin'], undefined);
  });

  it('answers a preflight from an allowed origin', async () => {
    const response = await rawRequest(harness.mcpUrl, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://127.0.0.1:6274',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, mcp-protocol-version, mcp-method, mcp-name',
      },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers['access-control-allow-origin'], 'http://127.0.0.1:6274');
    assert.match(String(response.headers['access-control-allow-methods']), /POST/);
    const allowed = String(response.headers['access-control-allow-headers']).toLowerCase();
    for (const name of ['authorization', 'content-type', 'mcp-protocol-version', 'mcp-method', 'mcp-name']) assert.ok(allowed.includes(name), name);
  });

  it('refuses a preflight from a foreign origin', async () => {
    const response = await rawRequest(harness.mcpUrl, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' },
    });
    assert.equal(response.status, 403);
  });

  it('lets a browser read the 401 challenge', async () => {
    const response = await rawRequest(harness.mcpUrl, {
      headers: { origin: 'http://localhost:5173', 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: BODY,
    });
    assert.equal(response.status, 401);
    assert.equal(response.headers['access-control-allow-origin'], 'http://localhost:5173');
    assert.match(String(response.headers['access-control-expose-headers']), /WWW-Authenticate/i);
  });

  it('leaves /healthz open to any Host, for load balancers and probes', async () => {
    const response = await rawRequest(new URL('/healthz', harness.service.url), { method: 'GET', headers: { host: '10.1.2.3:3000' } });
    assert.equal(response.status, 200);
  });
});

describe('host and origin policy on all interfaces', () => {
  it("applies the operator's lists, and nothing else", async () => {
    const harness = await startHarness({
      env: { HOST: '0.0.0.0', MCP_ALLOWED_HOSTS: 'mcp.example.com', MCP_ALLOWED_ORIGINS: 'https://app.example.com' },
    });
    try {
      const url = harness.mcpUrl;
      assert.equal((await rawRequest(url, { headers: headers({ host: 'mcp.example.com' }), body: BODY })).status, 200);
      assert.equal((await rawRequest(url, { headers: headers({ host: 'MCP.example.com:443' }), body: BODY })).status, 200);
      assert.equal((await rawRequest(url, { headers: headers({ host: `127.0.0.1:${url.port}` }), body: BODY })).status, 403);
      const allowed = await rawRequest(url, { headers: headers({ host: 'mcp.example.com', origin: 'https://app.example.com' }), body: BODY });
      assert.equal(allowed.status, 200);
      assert.equal(allowed.headers['access-control-allow-origin'], 'https://app.example.com');
      const local = await rawRequest(url, { headers: headers({ host: 'mcp.example.com', origin: 'http://localhost:3000' }), body: BODY });
      assert.equal(local.status, 403);
    } finally {
      await harness.close();
    }
  });

  it('without lists accepts any Host but no browser Origin, and says so in the log', async () => {
    const harness = await startHarness({ env: { HOST: '0.0.0.0' } });
    try {
      const url = harness.mcpUrl;
      assert.equal((await rawRequest(url, { headers: headers({ host: 'whatever.example.net' }), body: BODY })).status, 200);
      assert.equal((await rawRequest(url, { headers: headers({ origin: 'http://localhost:3000' }), body: BODY })).status, 403);
      assert.ok(harness.logs.records().some((record) => record.level === 'warn' && /MCP_ALLOWED_HOSTS is empty/.test(String(record.msg))));
    } finally {
      await harness.close();
    }
  });

  it('accepts any origin when the operator lists *', async () => {
    const harness = await startHarness({ env: { MCP_ALLOWED_ORIGINS: '*' } });
    try {
      const response = await rawRequest(harness.mcpUrl, { headers: headers({ origin: 'https://anything.example.org' }), body: BODY });
      assert.equal(response.status, 200);
      assert.equal(response.headers['access-control-allow-origin'], 'https://anything.example.org');
    } finally {
      await harness.close();
    }
  });
});
