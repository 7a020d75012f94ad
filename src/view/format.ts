/** Dates and durations in the host's locale and time zone, when it names them. */
export interface Formatter {
  time(iso: string): string;
  seconds(value: number): string;
}

export function formatter(locale: string | undefined, timeZone: string | undefined): Formatter {
  let dates: Intl.DateTimeFormat;
  let numbers: Intl.NumberFormat;
  try {
    dates = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium', timeZone });
    numbers = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
  } catch {
    // An unknown locale or time zone from the host: the browser's own.
    dates = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
    numbers = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
  }
  return {
    time(iso) {
      const date = new Date(iso);
      return Number.isNaN(date.getTime()) ? iso : dates.format(date);
    },
    seconds: (value) => `${numbers.format(value)} s`,
  };
}
