/**
 * A failure whose message is already the one sentence a caller should read: what failed and what
 * to do next. The MCP layer turns it into an error result as it is; anything else becomes a
 * generic "unexpected error" sentence, so internals never leak into results.
 */
export class UserFacingError extends Error {
  override readonly name: string = 'UserFacingError';
  /** How the call ended, for metrics and logs: a small fixed vocabulary. */
  readonly outcome: 'upstream_error' | 'refused';
  /** Whether the same read may succeed if tried again soon (waits keep polling through these). */
  readonly transient: boolean;
  /** Whether the upstream refused the caller's credentials (what abuse penalties count). */
  readonly rejectsCredentials: boolean;

  constructor(message: string, options: { outcome?: 'upstream_error' | 'refused'; transient?: boolean; rejectsCredentials?: boolean } = {}) {
    super(message);
    this.outcome = options.outcome ?? 'refused';
    this.transient = options.transient ?? false;
    this.rejectsCredentials = options.rejectsCredentials ?? false;
  }
}
