/**
 * Runs the official MCP conformance suite against the real service, as CI does: every scenario
 * of the suite for the 2026-07-28 revision and every scenario for 2025-11-25, each with
 * conformance/baseline.yml as the expected failures (scenarios that need fixtures flux-mcp does
 * not have). The run fails on any unexpected failure or warning, and on a stale baseline entry.
 * Then the suite's `authorization` command checks the OAuth authorization server (metadata and
 * the authorization code grant), with the OS's Chromium approving on the sign-in page.
 *
 * The suite sends no Authorization header, so it talks to the service through a loopback proxy
 * that adds a key, as a configured client would; the service reads tasks from the sandbox Flux
 * API. Host and Origin pass through unchanged, so the DNS-rebinding checks see the real policy.
 * Usage: npm run conformance
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../src/config.js';
import { FluxSandbox } from '../src/sandbox/fluxSandbox.js';
import { startService } from '../src/service.js';

export const CONFORMANCE_PACKAGE = '@modelcontextprotocol/conformance@0.2.0-alpha.12';
const SUITE = ['-y', '-p', 'node@22', '-p', CONFORMANCE_PACKAGE, '-c'];
const BASELINE = new URL('../conformance/baseline.yml', import.meta.url).pathname;
const SPEC_VERSIONS = ['2026-07-28', '2025-11-25'];
const KEY = 'conformance-key-0001';

function run(command: string, onOutput?: (output: string) => void): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npx', [...SUITE, command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      onOutput?.(output);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/**
 * `conformance authorization` against the service with OAuth on (PUBLIC_URL its loopback origin):
 * a client registered dynamically for the suite's callback port, and Chromium approving with a
 * key the sandbox accepts when the suite prints the authorization URL.
 */
async function authorizationRun(): Promise<boolean> {
  const { chromium } = await import('playwright-core');
  const port = await freePort();
  const callbackPort = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const oauthService = await startService(
    loadConfig({
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ACEDATACLOUD_API_BASE_URL: sandbox.url,
      PUBLIC_URL: issuer,
      OAUTH_SECRETS: randomBytes(32).toString('base64url'),
    }),
  );
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const registration = await fetch(`${issuer}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'MCP conformance suite', redirect_uris: [`http://127.0.0.1:${callbackPort}/callback`] }),
    });
    const { client_id: clientId } = (await registration.json()) as { client_id: string };
    let approving: Promise<void> | undefined;
    const suite = await run(
      `conformance authorization --url ${issuer} --client-id ${clientId} --port ${callbackPort} --resource ${issuer}/mcp`,
      (output) => {
        const link = /(http:\/\/127\.0\.0\.1:\d+\/oauth\/authorize\?\S+)/.exec(output.replace(/\x1b\[\d+m/g, ''))?.[1];
        if (link === undefined || approving) return;
        approving = (async () => {
          const page = await browser.newPage();
          await page.goto(link);
          await page.fill('input[name=api_key]', KEY);
          await page.click('button[value=approve]');
          await page.waitForURL(/\/callback/, { timeout: 10_000 }).catch(() => undefined);
          await page.close();
        })();
      },
    );
    await approving;
    const plain = suite.output.replace(/\x1b\[\d+m/g, '');
    const summary = plain.slice(Math.max(0, plain.lastIndexOf('=== SUMMARY ===')));
    process.stdout.write(`\n## ${CONFORMANCE_PACKAGE}, authorization (the OAuth authorization server)\n${summary}\n`);
    if (suite.code !== 0) process.stdout.write(`conformance: the authorization run exited ${suite.code}\n${plain}\n`);
    return suite.code === 0;
  } finally {
    await browser.close();
    await oauthService.close(1_000);
  }
}

/** A loopback proxy to `target` that adds `Authorization: Bearer <key>` and changes nothing else. */
async function keyedProxy(target: URL, key: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const upstream = request(
      { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, authorization: `Bearer ${key}` } },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const sandbox = await FluxSandbox.start({ recordRequests: false });
sandbox.addKey(KEY);
const service = await startService(
  loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ACEDATACLOUD_API_BASE_URL: sandbox.url, RATE_LIMIT_PER_MINUTE: '100000' }),
);
const proxy = await keyedProxy(new URL(service.url), KEY);
let failed = false;
try {
  for (const version of SPEC_VERSIONS) {
    const suite = await run(`conformance server --url ${proxy.url} --suite all --spec-version ${version} --expected-failures ${BASELINE}`);
    const plain = suite.output.replace(/\x1b\[\d+m/g, '');
    const summary = plain.slice(plain.indexOf('=== SUMMARY ==='));
    process.stdout.write(`\n## ${CONFORMANCE_PACKAGE}, --suite all --spec-version ${version}\n${summary}\n`);
    if (suite.code !== 0) {
      failed = true;
      process.stdout.write(`conformance: the suite exited ${suite.code} for ${version}\n${plain}\n`);
    }
  }
  if (!(await authorizationRun())) failed = true;
} finally {
  await proxy.close();
  await service.close(1_000);
  await sandbox.close();
}
process.stdout.write(
  failed ? 'conformance: FAILED\n' : 'conformance: passed for 2026-07-28 and 2025-11-25 (baseline holds), and the authorization server\n',
);
process.exit(failed ? 1 : 0);
