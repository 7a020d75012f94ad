import type { FluxClient } from '../flux/client.js';
import { FluxApiError } from '../flux/errors.js';

/** What the Flux API said about a key the user typed on the consent page. */
export type KeyVerdict =
  | { readonly kind: 'valid' }
  | { readonly kind: 'rejected'; readonly message: string }
  | { readonly kind: 'unavailable'; readonly message: string };

/** The nil UUID, which no task has: the Flux API answers `{}` for it to a valid key and 401 to any other. */
const PROBE_TASK_ID = '00000000-0000-0000-0000-000000000000';
const CHECK_TIMEOUT_MS = 10_000;

/**
 * Asks the Flux API whether `apiKey` is good before a code is issued for it: one free task
 * lookup. The messages are for the consent page and never contain the key.
 */
export async function checkApiKey(flux: FluxClient, apiKey: string, requestId: string): Promise<KeyVerdict> {
  try {
    await flux.retrieveTask(PROBE_TASK_ID, { apiKey, requestId, deadline: performance.now() + CHECK_TIMEOUT_MS });
    return { kind: 'valid' };
  } catch (error) {
    const kind = error instanceof FluxApiError ? error.kind : undefined;
    switch (kind) {
      case 'key_rejected':
        return { kind: 'rejected', message: 'AceDataCloud did not accept this API key. Check it on the platform and try again.' };
      case 'forbidden':
        return {
          kind: 'rejected',
          message: 'AceDataCloud knows this key but refused it access to the Flux API. Check its permissions and balance on the platform.',
        };
      case 'rate_limited':
        return { kind: 'unavailable', message: 'AceDataCloud is rate-limiting this key right now. Wait a minute and try again.' };
      default:
        return { kind: 'unavailable', message: 'AceDataCloud could not be reached to check the key, so nothing was issued. Try again in a minute.' };
    }
  }
}
