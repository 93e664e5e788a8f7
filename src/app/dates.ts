import type { Locale } from './messages.ts';

/** A moment as the profile page shows it. The page has no script (the CSP forbids it), so this is done here. */
export interface ShownTime {
  /** For `<time datetime>`: machine-readable, and what the JSON answer carries. */
  iso: string;
  /** "in 23 hours", "23小时后", "2 minutes ago": right whatever the reader's time zone, which the server cannot know. */
  relative: string;
  /** The date and time with the server's time zone named, for a tooltip. */
  local: string;
}

// Largest unit first: 23 hours stay hours, 36 hours become "in 2 days".
const UNITS = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
] as const;

interface Formats {
  relative: Intl.RelativeTimeFormat;
  local: Intl.DateTimeFormat;
}

// Building an Intl formatter loads locale data: it cost most of a profile page's time (three per page) and
// hundreds of MB of memory under load. Built once per language and time zone, then reused.
const FORMATS = new Map<string, Formats>();

function formatsFor(locale: Locale, timeZone: string | undefined): Formats {
  const key = `${locale} ${timeZone ?? ''}`;
  let formats = FORMATS.get(key);
  if (!formats) {
    formats = {
      relative: new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }),
      local: new Intl.DateTimeFormat(locale, {
        year: 'numeric',
        month: 'short',
        day: 'numeric',
        hour: 'numeric',
        minute: '2-digit',
        timeZoneName: 'short',
        ...(timeZone && { timeZone }),
      }),
    };
    FORMATS.set(key, formats);
  }
  return formats;
}

/** `at` relative to `now`, in the reader's language. `timeZone` defaults to the server's. */
export function showTime(at: Date, now: number, locale: Locale, timeZone?: string): ShownTime {
  const delta = at.getTime() - now;
  const [unit, ms] = UNITS.find(([, size]) => Math.abs(delta) >= size) ?? UNITS[UNITS.length - 1]!;
  const formats = formatsFor(locale, timeZone);
  return { iso: at.toISOString(), relative: formats.relative.format(Math.round(delta / ms), unit), local: formats.local.format(at) };
}
