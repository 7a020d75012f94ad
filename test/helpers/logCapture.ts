import type { DestinationStream } from 'pino';

/** A pino destination that keeps every line in memory, so tests can read what was logged. */
export class LogCapture implements DestinationStream {
  readonly lines: string[] = [];

  write(line: string): void {
    this.lines.push(line);
  }

  get text(): string {
    return this.lines.join('');
  }

  /** Parsed log records whose `msg` equals `msg` (all records when omitted). */
  records(msg?: string): Record<string, unknown>[] {
    return this.lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((record) => msg === undefined || record.msg === msg);
  }
}
