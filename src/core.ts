import { setMaxListeners } from 'node:events';
import type { Config } from './config.js';
import { FluxClient, type AttemptReport } from './flux/client.js';
import type { Logger } from './logger.js';
import { loadTaskView } from './mcp/apps/taskView.js';
import type { SharedState } from './shared/sharedState.js';
import type { McpServerDeps } from './mcp/server.js';
import { TOOLS } from './mcp/tools/index.js';
import { ToolRegistry } from './mcp/toolRegistry.js';
import { InFlightCalls } from './mcp/wait/inFlightCalls.js';
import { WaitSlots } from './mcp/wait/waitSlots.js';

/** What both transports, HTTP and stdio, are built on: one tool registry, one view, one Flux client. */
export interface Core extends McpServerDeps {
  /** Tells waiting calls to answer now with what they have (shutdown has begun). */
  stopWaits(): void;
  /** Answers every tool call still running with a "restarting" error (the drain is over); returns how many. */
  interruptCalls(): number;
  /** Releases the upstream connection pool. */
  close(): Promise<void>;
}

export interface CoreOptions {
  /** Told about every upstream attempt (metrics). */
  readonly onAttempt?: (attempt: AttemptReport) => void;
  /**
   * Origins the MCP Apps view may load images from; the Flux CDN when omitted. Only code sets
   * this (the sandbox serves its images from its own origin), never the environment, so a
   * deployment cannot widen the view's CSP by configuration.
   */
  readonly viewImageOrigins?: readonly string[];
}

export function createCore(config: Config, logger: Logger, shared: SharedState, { onAttempt, viewImageOrigins }: CoreOptions = {}): Core {
  const taskView = loadTaskView(viewImageOrigins);
  const flux = new FluxClient({
    baseUrl: config.fluxBaseUrl,
    timeoutMs: config.fluxRequestTimeoutSeconds * 1000,
    totalTimeoutMs: config.fluxTotalTimeoutSeconds * 1000,
    maxConcurrency: config.fluxMaxConcurrency,
    maxShare: config.fluxMaxShare,
    logger,
    ...(shared.upstreamSlots ? { sharedSlots: shared.upstreamSlots } : {}),
    ...(onAttempt ? { onAttempt } : {}),
  });
  const stopping = new AbortController();
  // Every waiting call listens to this one signal; thousands of listeners are expected.
  setMaxListeners(0, stopping.signal);
  const inFlight = new InFlightCalls((owner, callId) => shared.publishCancel(owner, callId));
  shared.onCancel((owner, callId) => inFlight.cancelHere(owner, callId));
  const registry = new ToolRegistry(TOOLS);
  return {
    logger,
    flux,
    registry,
    taskView,
    waits: {
      slots: new WaitSlots(config.waitMaxPerKey, config.waitMaxTotal),
      inFlight,
      stopping: stopping.signal,
      ...(shared.waitSlots ? { sharedSlots: shared.waitSlots } : {}),
    },
    stopWaits: () => stopping.abort(),
    interruptCalls: () => registry.openCalls.interruptAll(),
    close: () => flux.close(),
  };
}
