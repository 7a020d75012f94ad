const DAY_MS = 86_400_000;
/** The largest time a Date can hold, in milliseconds either side of 1970 (ECMAScript's TimeClip). */
const MAX_TIME_MS = 8.64e15;

/** The date part of the day last formatted: the tasks of one batch mostly share a day. */
let lastDay = Number.NaN;
let lastDayText = '';

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/**
 * Unix seconds as an ISO 8601 UTC time, exactly as `Date.prototype.toISOString` writes it, or
 * undefined when no Date can hold it. The date part comes from `toISOString` once per day seen
 * last; the time of day is plain arithmetic, which made a batch of 50 tasks about 3 % cheaper than
 * a `toISOString` per time (BENCHMARKS.md).
 */
export function isoTimeOfSeconds(seconds: number): string | undefined {
  const exact = seconds * 1000;
  if (!(Math.abs(exact) <= MAX_TIME_MS)) return undefined;
  const ms = Math.trunc(exact);
  const day = Math.floor(ms / DAY_MS);
  if (day !== lastDay) {
    const iso = new Date(day * DAY_MS).toISOString();
    lastDayText = iso.slice(0, iso.indexOf('T'));
    lastDay = day;
  }
  const inDay = ms - day * DAY_MS;
  const hours = Math.floor(inDay / 3_600_000);
  const minutes = Math.floor(inDay / 60_000) % 60;
  const secondsInMinute = Math.floor(inDay / 1000) % 60;
  return `${lastDayText}T${pad(hours, 2)}:${pad(minutes, 2)}:${pad(secondsInMinute, 2)}.${pad(inDay % 1000, 3)}Z`;
}
