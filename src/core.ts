import { setMaxListeners } from 'node:events';
import type { Config } from './config.js';
import { FluxClient, type AttemptReport } from './flux/client.js';
import type { Logger } from './logger.js';
import { InFlightCalls } from './mcp/inFlightCalls.js';
import type { McpServerDeps } from './mcp/server.js';
import type { WaitSupport } from './mcp/toolDefinition.js';
import { TOOLS } from './mcp/tools/index.js';
import { ToolRegistry } from './mcp/toolRegistry.js';
import { WaitSlots } from './mcp/waitSlots.js';
import { seedDemo, type DemoTask } from './sandbox/demoSeed.js';
import { FluxSandbox } from './sandbox/fluxSandbox.js';

/** What both transports, HTTP and stdio, are built on: one tool registry, one Flux client. */
export interface Core extends McpServerDeps {
  readonly waits: WaitSupport;
  /** Present in sandbox mode: the local fake Flux API and its sample tasks. */
  readonly sandbox?: { readonly url: string; readonly tasks: readonly DemoTask[] };
  /** Tells waiting calls to answer now (shutdown has begun). */
  stopWaits(): void;
  /** Releases the upstream connection pool (and the sandbox). */
  close(): Promise<void>;
}

export async function createCore(config: Config, logger: Logger, onAttempt?: (attempt: AttemptReport) => void): Promise<Core> {
  let sandbox: FluxSandbox | undefined;
  let tasks: DemoTask[] = [];
  if (config.sandbox) {
    sandbox = await FluxSandbox.start({ recordRequests: false });
    tasks = seedDemo(sandbox);
    logger.warn(
      { flux_api: sandbox.url },
      'SANDBOX MODE (FLUX_SANDBOX): a local fake Flux API with sample tasks answers instead of AceDataCloud. Never use this in production.',
    );
  }
  const flux = new FluxClient({
    baseUrl: sandbox?.url ?? config.fluxBaseUrl,
    timeoutMs: config.fluxRequestTimeoutSeconds * 1000,
    totalTimeoutMs: config.fluxTotalTimeoutSeconds * 1000,
    maxConcurrency: config.fluxMaxConcurrency,
    logger,
    ...(onAttempt ? { onAttempt } : {}),
  });
  const stopping = new AbortController();
  // Every waiting call listens to this one signal; thousands of listeners are expected.
  setMaxListeners(0, stopping.signal);
  return {
    logger,
    flux,
    registry: new ToolRegistry(TOOLS),
    inFlight: new InFlightCalls(),
    waits: { slots: new WaitSlots(config.waitMaxPerKey, config.waitMaxTotal), stopping: stopping.signal },
    ...(sandbox ? { sandbox: { url: sandbox.url, tasks } } : {}),
    stopWaits: () => stopping.abort(),
    async close() {
      await flux.close();
      await sandbox?.close();
    },
  };
}
