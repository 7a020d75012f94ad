import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { pino } from 'pino';
import type { Config } from './config.js';
import { createCore, type CoreOptions } from './core.js';
import { keyFingerprint } from './keyFingerprint.js';
import { createLogger, type Logger } from './logger.js';
import { createMcpServer } from './mcp/server.js';
import { localState } from './shared/localState.js';

/** A start-up problem worth one plain line to the user, not a stack trace. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/** Where stdio mode logs: stderr, written synchronously so nothing is lost when stdin ends. */
export function stdioLogger(config: Config): Logger {
  return createLogger(config.logLevel, pino.destination({ dest: 2, sync: true }));
}

/**
 * The same tools over stdio, for local clients that only speak stdio: the SDK's stdio entry serves
 * both protocol eras on one connection (a 2025-era `initialize` or 2026-07-28 requests), with an
 * MCP server for the key in ACEDATACLOUD_API_TOKEN, stdout kept for the protocol and every log
 * line on stderr. Resolves once stdin has ended and everything is closed.
 */
export async function runStdio(config: Config, apiKey: string | undefined, logger: Logger, options: Pick<CoreOptions, 'viewImageOrigins'> = {}): Promise<void> {
  if (apiKey === undefined) {
    throw new StartupError(
      'ACEDATACLOUD_API_TOKEN is not set: stdio mode needs your AceDataCloud API key in it (get one at https://platform.acedata.cloud).',
    );
  }
  const core = createCore(config, logger, localState(), options);
  const fingerprint = keyFingerprint(apiKey);
  let connection = 0;
  const ended = new Promise<void>((resolve) => process.stdin.once('end', resolve));
  const handle = serveStdio(({ era }) => createMcpServer(core, { apiKey, fingerprint, requestId: `stdio-${process.pid}-${++connection}`, era }), {
    onerror: (error) => logger.warn({ err_message: error.message }, 'stdio: message not served'),
  });
  logger.info({ flux_api: config.fluxBaseUrl }, 'flux-mcp serving MCP over stdio');
  await ended;
  core.stopWaits();
  await handle.close();
  await core.close();
  logger.info('stdin closed: stopped');
}
