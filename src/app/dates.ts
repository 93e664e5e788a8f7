import type { Locale } from './messages.ts';

/** A moment as the profile page shows it. The page has no script (the CSP forbids it), so this is done here. */
export interface ShownTime {
  /** For `<time datetime>`: machine-readable, and what the JSON answer carries. */
  iso: string;
  /** "in 23 hours", "23小时后", "2 minutes ago": right whatever the reader's time zone, which the server cannot know. */
  relative: string;
  /** The date and time with the server's UTC offset named, for a tooltip: "2026-12-01 07:05 GMT+8". */
  local: string;
}

type Unit = 'day' | 'hour' | 'minute' | 'second';

// Largest unit first: 23 hours stay hours, 36 hours become "in 2 days".
const UNITS: ReadonlyArray<readonly [Unit, number]> = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

// Hand-written rather than Intl.RelativeTimeFormat and Intl.DateTimeFormat: the first Intl formatter a process
// builds loads ICU's locale data, about 10 MB of resident memory for two short strings on one page. Two languages
// and four units are a small table; the words follow what Intl says with `numeric: 'auto'`.
const ZH_UNITS: Record<Unit, string> = { day: '天', hour: '小时', minute: '分钟', second: '秒钟' };
const EN_DAYS: Record<string, string> = { '-1': 'yesterday', '1': 'tomorrow' };
const ZH_DAYS: Record<string, string> = { '-2': '前天', '-1': '昨天', '1': '明天', '2': '后天' };

function relative(value: number, unit: Unit, locale: Locale): string {
  if (value === 0) return locale === 'en' ? 'now' : '现在';
  const named = unit === 'day' ? (locale === 'en' ? EN_DAYS : ZH_DAYS)[String(value)] : undefined;
  if (named) return named;
  const n = Math.abs(value);
  if (locale !== 'en') return `${n}${ZH_UNITS[unit]}${value > 0 ? '后' : '前'}`;
  const units = `${n} ${unit}${n === 1 ? '' : 's'}`;
  return value > 0 ? `in ${units}` : `${units} ago`;
}

const two = (n: number): string => String(n).padStart(2, '0');

/** The wall-clock time at `offsetMin` minutes east of UTC, with that offset named as people read it. */
function local(at: Date, offsetMin: number): string {
  const t = new Date(at.getTime() + offsetMin * 60_000);
  const date = `${t.getUTCFullYear()}-${two(t.getUTCMonth() + 1)}-${two(t.getUTCDate())}`;
  const abs = Math.abs(offsetMin);
  const zone = offsetMin === 0 ? 'UTC' : `GMT${offsetMin > 0 ? '+' : '-'}${Math.floor(abs / 60)}${abs % 60 ? `:${two(abs % 60)}` : ''}`;
  return `${date} ${two(t.getUTCHours())}:${two(t.getUTCMinutes())} ${zone}`;
}

/** `at` relative to `now`, in the reader's language. `offsetMin` (minutes east of UTC) defaults to the server's. */
export function showTime(at: Date, now: number, locale: Locale, offsetMin = -at.getTimezoneOffset()): ShownTime {
  const delta = at.getTime() - now;
  const [unit, ms] = UNITS.find(([, size]) => Math.abs(delta) >= size) ?? UNITS[UNITS.length - 1]!;
  // `|| 0` turns -0 ("now", from a moment just past) into 0.
  return { iso: at.toISOString(), relative: relative(Math.round(delta / ms) || 0, unit, locale), local: local(at, offsetMin) };
}
