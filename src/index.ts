#!/usr/bin/env node
import { ConfigError, loadConfig, type Config } from './config.js';
import { startService } from './service.js';

const DRAIN_MS = 10_000;

function readConfig(): Config {
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`flux-mcp: invalid configuration: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const service = await startService(readConfig());
  const shutdown = async (signal: string) => {
    service.logger.info({ signal }, 'shutting down: draining requests in flight');
    await service.close(DRAIN_MS);
    service.logger.info('stopped');
    service.logger.flush();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`flux-mcp: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
