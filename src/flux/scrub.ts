const MAX_UPSTREAM_TEXT = 200;
/** Encoded forms shorter than this are not looked for: they would match ordinary words. */
const MIN_ENCODED_FORM = 6;

/**
 * The ways a key may come back inside upstream text: as sent, URL-encoded, and base64 or
 * base64url encoded on its own or inside a longer value (e.g. `user:key`), at each of the three
 * byte alignments, keeping only the characters that depend on the key alone.
 */
function keyForms(apiKey: string): string[] {
  const forms = new Set([apiKey, encodeURIComponent(apiKey)]);
  const bytes = Buffer.from(apiKey, 'utf8');
  for (const align of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(align, 0x41), bytes]).toString('base64');
    const core = encoded.slice(Math.ceil((align * 8) / 6), Math.floor(((align + bytes.length) * 8) / 6));
    if (core.length < MIN_ENCODED_FORM) continue;
    forms.add(core);
    forms.add(core.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return [...forms].filter((form) => form.length > 0);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Makes text that came from the Flux API safe to show: the caller's key is cut out wherever it
 * appears, in any letter case and in the common encodings (an upstream may echo what it was
 * sent), bearer credentials are blanked, control characters and runs of whitespace become one
 * space, and the result is bounded in length.
 */
export function scrubUpstreamText(text: string, apiKey?: string): string {
  let safe = text;
  if (apiKey) {
    const pattern = new RegExp(keyForms(apiKey).map(escapeRegExp).join('|'), 'gi');
    safe = safe.replace(pattern, '[redacted]');
  }
  safe = safe.replace(/(Bearer|Basic)\s+\S+/gi, '$1 [redacted]');
  safe = safe.replace(/[\u0000-\u001f\u007f-\u009f\s]+/g, ' ').trim();
  return safe.length > MAX_UPSTREAM_TEXT ? `${safe.slice(0, MAX_UPSTREAM_TEXT - 1)}…` : safe;
}
