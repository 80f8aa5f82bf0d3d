// Numbers, money and dates in the viewer's locale (the browser's languages); business days stay calendar
// dates (no time zone shift), instants are shown in the viewer's zone with the zone named.
const locale = typeof navigator !== 'undefined' ? navigator.languages?.[0] : undefined;

const integer = new Intl.NumberFormat(locale);
export const formatNumber = (value: number) => integer.format(value);

export function formatMoney(amount: string | number, currency: string) {
  try {
    return new Intl.NumberFormat(locale, { style: 'currency', currency }).format(Number(amount));
  } catch {
    return `${amount} ${currency}`;
  }
}

const day = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
/** A business day (YYYY-MM-DD) as a calendar date: formatted at UTC so it never shifts a day. */
export const formatDay = (date: string) => day.format(new Date(`${date}T00:00:00Z`));

// dateStyle/timeStyle cannot be combined with timeZoneName: the fields spelled out instead.
const instant = new Intl.DateTimeFormat(locale, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
  timeZoneName: 'short',
});
export const formatInstant = (value: string | null | undefined) => (value ? instant.format(new Date(value)) : '—');

// Chart axes: a business day is drawn at its UTC midnight, so its tick is formatted at UTC (never shifted a day).
const tickDay = new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', timeZone: 'UTC' });
export const formatTickDay = (date: Date) => tickDay.format(date);

/** The US chart's business day is America/New_York's calendar day. */
export const CHART_ZONE_NOTE =
  'Business days are Luminate’s: the calendar day in America/New_York (chart week Friday to Thursday).';

const chartDay = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' });
export function todayInChartZone(now = new Date()): string {
  return chartDay.format(now);
}

/** The chart's business day (YYYY-MM-DD, America/New_York) an instant falls on: where its sales are charted. */
export const businessDayOf = (value: string) => chartDay.format(new Date(value));

export interface Duration {
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

// Intl.DurationFormat (Chromium 129+, Node 23+) is not in TypeScript's es2024 lib yet: the part used here.
type DurationFormatCtor = new (
  locale: string | undefined,
  options: Record<string, string>,
) => { format(duration: Duration): string };
const DurationFormat = (Intl as unknown as { DurationFormat?: DurationFormatCtor }).DurationFormat;
const UNITS = [
  ['days', 'day'],
  ['hours', 'hour'],
  ['minutes', 'minute'],
  ['seconds', 'second'],
] as const;

function durationFormat(style: 'narrow' | 'long'): (d: Duration) => string {
  // Days only when there are some; hours, minutes and seconds always, so the countdown keeps its shape.
  const display = { hoursDisplay: 'always', minutesDisplay: 'always', secondsDisplay: 'always' };
  if (DurationFormat) {
    const f = new DurationFormat(locale, { style, ...display });
    return (d) => f.format(d);
  }
  // Without DurationFormat: each unit by NumberFormat's unit style, joined as the locale lists units.
  const units = UNITS.map(
    ([key, unit]) => [key, new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: style })] as const,
  );
  const list = new Intl.ListFormat(locale, { type: 'unit', style });
  return (d) => list.format(units.filter(([key]) => key !== 'days' || d.days > 0).map(([key, f]) => f.format(d[key])));
}
const narrowDuration = durationFormat('narrow');
const longDuration = durationFormat('long');
/** A duration in the viewer's locale: `narrow` to show ("3d 4h 5m 6s", "3 T, 4 Std., 5 Min. und 6 Sek."), `long` to read out. */
export const formatDuration = (d: Duration, style: 'narrow' | 'long' = 'narrow') =>
  style === 'narrow' ? narrowDuration(d) : longDuration(d);

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
