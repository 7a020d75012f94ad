import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { Task } from '../../src/flux/task.js';
import { createLogger } from '../../src/logger.js';
import { InFlightCalls } from '../../src/mcp/wait/inFlightCalls.js';
import { waitForSettled } from '../../src/mcp/wait/waitForSettled.js';
import type { CallWait } from '../../src/mcp/wait/waitSupport.js';
import { WaitSlots } from '../../src/mcp/wait/waitSlots.js';

const pending: Task = { task_id: 't1', status: 'pending', images: [] };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function callWait(): CallWait {
  return {
    support: { slots: new WaitSlots(4, 16), inFlight: new InFlightCalls(), stopping: new AbortController().signal },
    owner: 'owner-1',
    callId: 1,
    signal: new AbortController().signal,
    progress: undefined,
    logger: createLogger('silent', new Writable({ write: (_chunk, _encoding, done) => done() })),
    requestId: 'request-1',
  };
}

describe('waitForSettled', () => {
  it('polls again when the wait has a pause left, and not for its last sliver', async () => {
    // Looks at 0 and 1 s; the second takes `secondLookMs`, leaving at most 1.5 s - 1 s - secondLookMs of the wait.
    const looks = async (secondLookMs: number): Promise<number> => {
      let count = 0;
      await waitForSettled(callWait(), 1.5, async () => {
        count += 1;
        if (count === 2) await sleep(secondLookMs);
        return [pending];
      });
      return count;
    };
    assert.equal(await looks(0), 3, 'with about 500 ms left, a third look at the end of the wait');
    assert.equal(await looks(450), 2, 'with 50 ms or less left, no third look');
  });
});
