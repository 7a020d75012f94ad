import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { Config } from '../config.js';
import { isLoopbackAddress } from '../http/hostOrigin.js';
import { demoBanner } from './demoBanner.js';
import { DEMO_KEY, seedDemo, type DemoTask } from './demoSeed.js';
import { FluxSandbox } from './fluxSandbox.js';
import { startDemoSignIn, type DemoSignIn } from './demoSignIn.js';

/**
 * A running demo (`npm run demo`, FLUX_SANDBOX=true): the sandbox Flux API on loopback with its
 * sample tasks, and the configuration pointed at it. Only the command line starts one.
 */
export interface Demo {
  /**
   * The configuration with the Flux API origin replaced by the sandbox's and, unless OAuth was
   * configured already, OAuth on for the loopback origin it listens on, with a secret made now.
   */
  readonly config: Config;
  /** The only key the sandbox accepts. */
  readonly key: string;
  /** Where the sandbox serves its images: the origin the MCP Apps view may load them from. */
  readonly imageOrigins: readonly string[];
  readonly tasks: readonly DemoTask[];
  /** The loud warning to log: this is not AceDataCloud. */
  readonly warning: string;
  /** Once the service listens: a sign-in link a person can open, when OAuth is on. */
  startSignIn(serviceUrl: string): Promise<DemoSignIn | undefined>;
  /** What to print for a person: endpoint, key, sample tasks, a client config, curl commands, the sign-in link. */
  banner(mcpUrl: string, signInLink?: string): string;
  close(): Promise<void>;
}

/** A loopback port that was free a moment ago, so PUBLIC_URL can be known before the service listens. */
async function freePort(host: string): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, host, resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** OAuth on for loopback, when the operator has not configured it: PUBLIC_URL is where the demo listens. */
async function withDemoOAuth(config: Config): Promise<Config> {
  if (config.publicUrl !== undefined) return config;
  const host = isLoopbackAddress(config.host) ? config.host : '127.0.0.1';
  const port = config.port === 0 ? await freePort(host) : config.port;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return { ...config, port, publicUrl: origin, oauthSecrets: [randomBytes(32).toString('base64url')] };
}

export async function startDemo(config: Config): Promise<Demo> {
  const sandbox = await FluxSandbox.start({ recordRequests: false });
  const tasks = seedDemo(sandbox);
  const demoConfig = await withDemoOAuth({ ...config, fluxBaseUrl: sandbox.url });
  let signIn: DemoSignIn | undefined;
  return {
    config: demoConfig,
    key: DEMO_KEY,
    imageOrigins: [sandbox.url],
    tasks,
    warning: `SANDBOX MODE (FLUX_SANDBOX): a local fake Flux API at ${sandbox.url} with sample tasks answers instead of AceDataCloud. Never use this in production.`,
    async startSignIn(serviceUrl) {
      if (demoConfig.publicUrl !== serviceUrl) return undefined;
      signIn = await startDemoSignIn(serviceUrl, tasks[0]!.id);
      return signIn;
    },
    banner: (mcpUrl, signInLink) => demoBanner(mcpUrl, tasks, signInLink),
    close: async () => {
      await signIn?.close();
      await sandbox.close();
    },
  };
}
