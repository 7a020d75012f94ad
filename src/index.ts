#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from './config.js';
import type { Demo } from './sandbox/demo.js';
import { startService } from './service.js';
import { runStdio, stdioLogger, StartupError } from './stdio.js';
import { VERSION } from './version.js';

const USAGE = `flux-mcp ${VERSION}: an MCP service for checking Flux image-generation tasks on AceDataCloud.

Usage:
  flux-mcp             serve MCP over Streamable HTTP at http://HOST:PORT/mcp; each request
                       brings its own key as "Authorization: Bearer <key>"
  flux-mcp --stdio     serve MCP over stdin/stdout for one local client; the key comes from
                       ACEDATACLOUD_API_TOKEN; logs go to stderr
  flux-mcp --help      show this help
  flux-mcp --version   show the version

Configuration comes from environment variables (PORT, HOST, ACEDATACLOUD_API_BASE_URL,
LOG_LEVEL, ...); see the README for the full table.`;

/** Longest the last log lines may take to go out at exit. */
const LOG_FLUSH_MS = 2_000;

function fail(message: string, code = 1): never {
  process.stderr.write(`flux-mcp: ${message}\n`);
  process.exit(code);
}

function readConfig(): Config {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(`invalid configuration: ${error.message}`);
    throw error;
  }
}

/** FLUX_SANDBOX: the demo's local fake Flux API, loaded only then, and the configuration pointed at it. */
async function demoFor(config: Config): Promise<Demo | undefined> {
  return config.sandbox ? (await import('./sandbox/demo.js')).startDemo(config) : undefined;
}

async function serveHttp(config: Config, demo: Demo | undefined): Promise<void> {
  const service = await startService(demo?.config ?? config, demo ? { viewImageOrigins: demo.imageOrigins, startupWarnings: [demo.warning] } : {});
  if (demo) {
    const signIn = await demo.startSignIn(service.url);
    process.stderr.write(demo.banner(`${service.url}/mcp`, signIn?.link));
  }
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) {
      service.logger.warn({ signal }, 'second signal: exiting without waiting for requests in flight');
      await service.flushLogs(LOG_FLUSH_MS);
      process.exit(1);
    }
    stopping = true;
    service.logger.info(
      { signal, delay_seconds: config.shutdownDelaySeconds, drain_seconds: config.shutdownTimeoutSeconds },
      'shutting down: readiness off, then draining requests in flight',
    );
    await service.close();
    await demo?.close();
    service.logger.info('stopped');
    // A log reader that stopped reading must not keep the process from exiting.
    await service.flushLogs(LOG_FLUSH_MS);
    process.exit(0);
  };
  process.on('SIGTERM', (signal) => void shutdown(signal));
  process.on('SIGINT', (signal) => void shutdown(signal));
}

async function main(): Promise<void> {
  let flags: { help?: boolean; version?: boolean; stdio?: boolean };
  try {
    flags = parseArgs({
      options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' }, stdio: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    fail(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`, 2);
  }
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (flags.version) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const config = readConfig();
  const demo = await demoFor(config);
  if (flags.stdio) {
    const logger = stdioLogger(config);
    if (demo) logger.warn(demo.warning);
    await runStdio(demo?.config ?? config, config.apiToken ?? demo?.key, logger, demo ? { viewImageOrigins: demo.imageOrigins } : {});
    await demo?.close();
    process.exit(0);
  }
  await serveHttp(config, demo);
}

main().catch((error: unknown) => {
  if (error instanceof StartupError) fail(error.message);
  fail(`failed to start: ${error instanceof Error ? error.message : String(error)}`);
});
