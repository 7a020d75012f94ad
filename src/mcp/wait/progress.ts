/** Sends one progress notification to the client that asked for them; never throws. */
export type ProgressReporter = (progress: number, total: number, message: string) => Promise<void>;

type ProgressToken = string | number;

/**
 * A reporter for a request whose `_meta` carries a progress token, or undefined when the client
 * did not ask for progress. `notify` is the SDK's per-request notification sender.
 */
export function progressReporter(
  token: unknown,
  notify: (notification: { method: 'notifications/progress'; params: Record<string, unknown> }) => Promise<void>,
): ProgressReporter | undefined {
  if (typeof token !== 'string' && typeof token !== 'number') return undefined;
  const progressToken: ProgressToken = token;
  return (progress, total, message) =>
    notify({ method: 'notifications/progress', params: { progressToken, progress, total, message } }).catch(() => undefined);
}
