import { createHash } from 'node:crypto';

/**
 * A stable, non-reversible name for an API key: what rate limits and per-key caps count by, so
 * no structure in the process ever holds a key beyond the request that carried it.
 */
export function keyFingerprint(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('base64url').slice(0, 22);
}
