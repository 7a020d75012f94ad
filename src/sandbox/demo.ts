import type { Config } from '../config.js';
import { demoBanner } from './demoBanner.js';
import { DEMO_KEY, seedDemo, type DemoTask } from './demoSeed.js';
import { FluxSandbox } from './fluxSandbox.js';

/**
 * A running demo (`npm run demo`, FLUX_SANDBOX=true): the sandbox Flux API on loopback with its
 * sample tasks, and the configuration pointed at it. Only the command line starts one.
 */
export interface Demo {
  /** The configuration with the Flux API origin replaced by the sandbox's. */
  readonly config: Config;
  /** The only key the sandbox accepts. */
  readonly key: string;
  /** Where the sandbox serves its images: the origin the MCP Apps view may load them from. */
  readonly imageOrigins: readonly string[];
  readonly tasks: readonly DemoTask[];
  /** The loud warning to log: this is not AceDataCloud. */
  readonly warning: string;
  /** What to print for a person: endpoint, key, sample tasks, a client config, curl commands. */
  banner(mcpUrl: string): string;
  close(): Promise<void>;
}

export async function startDemo(config: Config): Promise<Demo> {
  const sandbox = await FluxSandbox.start({ recordRequests: false });
  const tasks = seedDemo(sandbox);
  return {
    config: { ...config, fluxBaseUrl: sandbox.url },
    key: DEMO_KEY,
    imageOrigins: [sandbox.url],
    tasks,
    warning: `SANDBOX MODE (FLUX_SANDBOX): a local fake Flux API at ${sandbox.url} with sample tasks answers instead of AceDataCloud. Never use this in production.`,
    banner: (mcpUrl) => demoBanner(mcpUrl, tasks),
    close: () => sandbox.close(),
  };
}
