import { pino, type DestinationStream, type Logger } from 'pino';
import sonicBoom from 'sonic-boom';
import type { LogLevel } from './config.js';

export type { Logger };

/**
 * Paths pino blanks out. The service never logs headers or keys on purpose; this is the second
 * line of defence if an object carrying one is ever logged by mistake. Exact paths only: wildcard
 * paths made every log line three times as expensive (measured: 9.7 µs against 3.2 µs a line).
 */
const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  'err.headers.authorization',
  'apiKey',
  'api_key',
  'token',
];

/** Where log lines go, and how to flush them without ever waiting longer than we can afford. */
export interface LogOutput {
  readonly stream: DestinationStream;
  /**
   * Writes out what is buffered, giving up after `ms`: a reader that stopped reading (a full
   * pipe) must never keep the process from exiting.
   */
  flush(ms: number): Promise<void>;
}

/**
 * Standard output, written asynchronously. Unlike pino's own destination it installs no
 * synchronous flush at process exit, which retries a full pipe forever; the service flushes on
 * shutdown with a bound instead. A stdout that breaks (EPIPE) or stays full past that bound is
 * given up on, never allowed to crash or stall the process.
 */
export function stdoutLogOutput(): LogOutput {
  let giveUpAt = Number.POSITIVE_INFINITY;
  // sonic-boom is CommonJS whose module.exports is the class itself, while its types describe an ES default.
  const SonicBoom = sonicBoom as unknown as typeof sonicBoom.SonicBoom;
  const stream = new SonicBoom({ fd: 1, sync: false, retryEAGAIN: () => Date.now() < giveUpAt });
  stream.on('error', () => {
    stream.write = () => true;
  });
  return {
    stream,
    flush(ms) {
      giveUpAt = Date.now() + ms;
      return new Promise((resolve) => {
        // sonic-boom's own flush(cb) answers at once when minLength is 0, even with a write under
        // way; it emits 'drain' when its async write has emptied the buffer.
        if (!(stream as unknown as { _writing?: boolean })._writing) {
          resolve();
          return;
        }
        const timer = setTimeout(done, ms);
        timer.unref();
        stream.once('drain', done);
        function done(): void {
          clearTimeout(timer);
          stream.off('drain', done);
          resolve();
        }
      });
    },
  };
}

/** JSON lines to `destination`, one object per event. */
export function createLogger(level: LogLevel, destination: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'flux-mcp' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
