import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { pino } from 'pino';
import type { Config } from './config.js';
import { createCore } from './core.js';
import { keyFingerprint } from './keyFingerprint.js';
import { createLogger } from './logger.js';
import { createMcpServer } from './mcp/server.js';
import { DEMO_KEY } from './sandbox/demoSeed.js';

/** A start-up problem worth one plain line to the user, not a stack trace. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/**
 * The same tools over stdio, for local clients that only speak stdio: one MCP server for the
 * whole connection, the key from ACEDATACLOUD_API_TOKEN, stdout kept for the protocol and every
 * log line on stderr. Resolves once stdin has ended and everything is closed.
 */
export async function runStdio(config: Config): Promise<void> {
  const apiKey = config.apiToken ?? (config.sandbox ? DEMO_KEY : undefined);
  if (apiKey === undefined) {
    throw new StartupError(
      'ACEDATACLOUD_API_TOKEN is not set: stdio mode needs your AceDataCloud API key in it (get one at https://platform.acedata.cloud).',
    );
  }
  const logger = createLogger(config.logLevel, pino.destination({ dest: 2, sync: true }));
  const core = await createCore(config, logger);
  const server = createMcpServer(core, { apiKey, owner: keyFingerprint(apiKey) });
  const transport = new StdioServerTransport();
  const ended = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => void transport.close());
  });
  transport.onerror = (error) => logger.warn({ err_message: error.message }, 'unreadable message on stdin');
  await server.connect(transport);
  logger.info({ flux_api: core.sandbox?.url ?? config.fluxBaseUrl }, 'flux-mcp serving MCP over stdio');
  await ended;
  core.stopWaits();
  await server.close();
  await core.close();
  logger.info('stdin closed: stopped');
}
