const MAX_UPSTREAM_TEXT = 200;

/**
 * Makes text that came from the Flux API safe to show: the caller's key is cut out wherever it
 * appears (an upstream may echo what it was sent), control characters and runs of whitespace
 * become one space, and the result is bounded in length.
 */
export function scrubUpstreamText(text: string, apiKey?: string): string {
  let safe = apiKey ? text.split(apiKey).join('[redacted]') : text;
  safe = safe.replace(/Bearer\s+\S+/gi, 'Bearer [redacted]');
  safe = safe.replace(/[\u0000-\u001f\u007f-\u009f\s]+/g, ' ').trim();
  return safe.length > MAX_UPSTREAM_TEXT ? `${safe.slice(0, MAX_UPSTREAM_TEXT - 1)}…` : safe;
}
