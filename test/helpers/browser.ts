import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium; never a downloaded browser (.ci/run installs the package when it is missing). */
export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const LOOPBACK = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//;

export interface Browser {
  readonly context: BrowserContext;
  /** Requests the page tried to send off this machine; they were refused. */
  readonly refused: string[];
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile; any request that would leave loopback is refused. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)`);
  const profile = mkdtempSync(join(tmpdir(), 'flux-mcp-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 760, height: 900 },
    deviceScaleFactor: 1,
  });
  const refused: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (LOOPBACK.test(url) || url.startsWith('data:') || url.startsWith('about:')) return route.continue();
    refused.push(url);
    return route.abort();
  });
  return {
    context,
    refused,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export interface CspReport {
  readonly directive: string;
  readonly blocked: string;
}

export interface TestHost {
  /** The host page, on 127.0.0.1. */
  readonly hostUrl: string;
  /** The sandbox proxy, on localhost: another origin than the host page, as the specification asks. */
  readonly sandboxUrl: string;
  /** Every CSP violation the browser reported from the sandbox and the view in it. */
  readonly cspReports: CspReport[];
  close(): Promise<void>;
}

const HOST_SOURCES = new URL('../view/host/', import.meta.url);

/** Characters a policy built by host/csp.ts can hold; anything else gets the restrictive default. */
const SAFE_POLICY = /^[\w\s:;'./*-]{1,4000}$/;

/**
 * Serves the test host page and the sandbox proxy (bundled from test/view/host/ with esbuild) on
 * loopback. The proxy is served with the view's CSP as a header (from its `csp` query parameter)
 * plus a report-uri, so every violation in the view reaches `cspReports`, eval probes included.
 */
export async function startTestHost(): Promise<TestHost> {
  const bundles = await build({
    entryPoints: { host: fileURLToPath(new URL('host.ts', HOST_SOURCES)), sandbox: fileURLToPath(new URL('sandbox.ts', HOST_SOURCES)) },
    bundle: true,
    write: false,
    outdir: '/',
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  const files = new Map<string, { type: string; body: Buffer | string }>();
  for (const output of bundles.outputFiles) files.set(output.path, { type: 'text/javascript; charset=utf-8', body: Buffer.from(output.contents) });
  for (const page of ['host.html', 'sandbox.html']) {
    files.set(`/${page}`, { type: 'text/html; charset=utf-8', body: readFileSync(new URL(page, HOST_SOURCES)) });
  }
  const cspReports: CspReport[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://loopback');
    if (req.method === 'POST' && url.pathname === '/csp-report') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        try {
          const report = (JSON.parse(body) as { 'csp-report'?: Record<string, string> })['csp-report'] ?? {};
          cspReports.push({ directive: report['effective-directive'] ?? report['violated-directive'] ?? '', blocked: report['blocked-uri'] ?? '' });
        } catch {
          cspReports.push({ directive: 'unreadable report', blocked: body.slice(0, 200) });
        }
        res.writeHead(204).end();
      });
      return;
    }
    const file = files.get(url.pathname);
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    const headers: Record<string, string> = { 'content-type': file.type, 'cache-control': 'no-store' };
    if (url.pathname === '/sandbox.html') {
      const policy = url.searchParams.get('csp') ?? '';
      headers['content-security-policy'] = `${SAFE_POLICY.test(policy) ? policy : "default-src 'none'"}; report-uri /csp-report`;
    }
    res.writeHead(200, headers).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    hostUrl: `http://127.0.0.1:${port}/host.html`,
    sandboxUrl: `http://localhost:${port}/sandbox.html`,
    cspReports,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
