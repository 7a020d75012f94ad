import type { Task } from '../../flux/task.js';
import { sleep } from '../../sleep.js';
import { UserFacingError } from '../../userFacingError.js';
import type { CallWait } from './waitSupport.js';

export const MAX_WAIT_SECONDS = 45;
/** Pauses between polls: quick at first, when a task may be about to finish, then every 5 s. */
const POLL_PAUSES_MS = [1_000, 2_000, 3_000, 4_000, 5_000];
/**
 * Less time than this left after a poll ends the wait: another poll would tell nothing new. Timers
 * can fire a millisecond early, so a wait timed to its end otherwise made one extra upstream call.
 */
const MIN_PAUSE_MS = 100;
/** How far past the end of the wait one poll may run before it is cut. */
const POLL_GRACE_MS = 10_000;

export interface WaitOutcome {
  readonly tasks: Task[];
  /** Seconds spent waiting, one decimal. */
  readonly waitedSeconds: number;
}

/** Looks the tasks up once; must honour the signal and the deadline (a `performance.now()` time) it is given. */
export type Look = (signal: AbortSignal, deadline?: number) => Promise<Task[]>;

function settledCount(tasks: readonly Task[]): number {
  return tasks.filter((task) => task.status !== 'pending').length;
}

/**
 * Looks the tasks up, and with `waitSeconds` > 0 keeps looking until every one has settled or the
 * time is up, reporting progress after each look. Stops early, answering with the latest state,
 * when the service shuts down; stops at once when the client disconnects or cancels.
 */
export async function waitForSettled(wait: CallWait, waitSeconds: number, look: Look): Promise<WaitOutcome> {
  if (waitSeconds <= 0) return { tasks: await look(wait.signal), waitedSeconds: 0 };

  const { slots, inFlight, stopping, sharedSlots } = wait.support;
  const ownerFull = () =>
    new UserFacingError(
      `This API key already has ${slots.maxPerOwner} waiting calls open; call again with wait_seconds 0, or once one of them has answered.`,
    );
  const local = slots.acquire(wait.owner);
  if (local === 'owner_full') throw ownerFull();
  if (local === 'all_full') {
    throw new UserFacingError('flux-mcp is holding as many waiting calls as it can; call again with wait_seconds 0, or in a few seconds.');
  }
  const shared = await sharedSlots?.acquire(wait.owner, slots.maxPerOwner, (waitSeconds + POLL_GRACE_MS / 1000 + 5) * 1000);
  if (shared === 'full') {
    local();
    throw ownerFull();
  }
  const release = () => {
    local();
    shared?.();
  };

  // Polls stop on disconnect or cancel. On shutdown the wait ends at once with the latest state it
  // has: the pause is cut short, and so is a poll under way (unless nothing has been seen yet).
  const call = inFlight.track(wait.owner, wait.callId, wait.signal);
  let latest: Task[] | undefined;
  const pauses = new AbortController();
  const polls = new AbortController();
  const endPause = () => pauses.abort();
  const endPoll = () => polls.abort();
  const stop = () => {
    pauses.abort();
    if (latest) polls.abort();
  };
  call.signal.addEventListener('abort', endPause, { once: true });
  call.signal.addEventListener('abort', endPoll, { once: true });
  stopping.addEventListener('abort', stop, { once: true });
  const started = performance.now();
  const end = started + waitSeconds * 1000;
  const elapsed = () => Math.round((performance.now() - started) / 100) / 10;
  let lastProgress = -1;
  try {
    for (let round = 0; ; round++) {
      try {
        latest = await look(polls.signal, end + POLL_GRACE_MS);
      } catch (error) {
        const transient = error instanceof UserFacingError && error.transient;
        if (!transient || !latest || performance.now() >= end) throw error;
        wait.logger.debug({ err_message: (error as Error).message, request_id: wait.requestId }, 'poll failed during a wait; polling on');
      }
      if (latest && wait.progress) {
        // Progress must grow with every notification; it stops at the total.
        const progress = Math.min(Math.max(elapsed(), lastProgress + 0.1), waitSeconds);
        if (progress > lastProgress) {
          lastProgress = progress;
          const settled = settledCount(latest);
          await wait.progress(progress, waitSeconds, `${settled} of ${latest.length} task${latest.length === 1 ? '' : 's'} settled`);
        }
      }
      if (latest && settledCount(latest) === latest.length) break;
      const remaining = end - performance.now();
      if (remaining < MIN_PAUSE_MS) break;
      if (!(await sleep(Math.min(POLL_PAUSES_MS[round] ?? POLL_PAUSES_MS.at(-1)!, remaining), pauses.signal))) break;
    }
  } catch (error) {
    if (latest && polls.signal.aborted) return { tasks: latest, waitedSeconds: elapsed() };
    throw error;
  } finally {
    call.signal.removeEventListener('abort', endPause);
    call.signal.removeEventListener('abort', endPoll);
    stopping.removeEventListener('abort', stop);
    call.done();
    release();
  }
  if (!latest) throw new UserFacingError('The wait ended before the Flux API answered; call again.');
  return { tasks: latest, waitedSeconds: elapsed() };
}
