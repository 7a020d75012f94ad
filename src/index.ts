#!/usr/bin/env node
import { ConfigError, loadConfig, type Config } from './config.js';
import { startService } from './service.js';

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
  const config = readConfig();
  const service = await startService(config);
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) {
      service.logger.warn({ signal }, 'second signal: exiting without waiting for requests in flight');
      service.logger.flush();
      process.exit(1);
    }
    stopping = true;
    service.logger.info({ signal, drain_seconds: config.shutdownTimeoutSeconds }, 'shutting down: draining requests in flight');
    await service.close(config.shutdownTimeoutSeconds * 1000);
    service.logger.info('stopped');
    service.logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', (signal) => void shutdown(signal));
  process.on('SIGINT', (signal) => void shutdown(signal));
}

main().catch((error: unknown) => {
  process.stderr.write(`flux-mcp: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
