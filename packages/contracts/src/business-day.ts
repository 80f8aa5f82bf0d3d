import { addDays } from './calendar-date.ts';

// A chart's business day is the calendar date in the chart's time zone (US: America/New_York), never the
// UTC date: from 00:00 to 05:00 UTC (04:00 in summer) New York is still on the day before. Every app that
// defaults or names a day or a week (geo-reporting's files, the artist API's periods, the demo) uses these.

/** The zone of the US chart (Luminate), and of release instants given as a date. */
export const CHART_TIME_ZONE = 'America/New_York';

const dateFormats = new Map<string, Intl.DateTimeFormat>();
const clockFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar date (YYYY-MM-DD) of an instant in a time zone: a chart's business day. */
export function businessDate(instant: Date, timeZone: string = CHART_TIME_ZONE): string {
  let format = dateFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dateFormats.set(timeZone, format);
  }
  return format.format(instant);
}

/** A business day is closed (its file can be produced) once the zone's current date is after it. */
export function isClosedDay(date: string, now: Date, timeZone: string = CHART_TIME_ZONE): boolean {
  return date < businessDate(now, timeZone);
}

/** The last business day whose file can exist at `now`: the zone's yesterday. */
export function lastClosedBusinessDay(now: Date, timeZone: string = CHART_TIME_ZONE): string {
  return addDays(businessDate(now, timeZone), -1);
}

/** 00:00 on a calendar date in a time zone, as an instant (release dates are midnight America/New_York). */
export function zonedMidnight(date: string, timeZone: string = CHART_TIME_ZONE): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d); // not Date.UTC: it turns years 0-99 into 19xx
  const utcMidnight = t.getTime();
  // The zone's offset at that moment, then once more at the corrected instant (DST changes at 02:00, so
  // midnight itself is never skipped or repeated in America/New_York).
  let instant = utcMidnight - offsetMs(new Date(utcMidnight), timeZone);
  instant = utcMidnight - offsetMs(new Date(instant), timeZone);
  return new Date(instant);
}

/** When a business day closes: 00:00 of the next day in the zone (its file can be produced from then). */
export const businessDayEnd = (date: string, timeZone: string = CHART_TIME_ZONE): Date =>
  zonedMidnight(addDays(date, 1), timeZone);

function offsetMs(at: Date, timeZone: string): number {
  let format = clockFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    clockFormats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
  const local = new Date(0);
  local.setUTCFullYear(+parts.year!, +parts.month! - 1, +parts.day!);
  local.setUTCHours(+parts.hour!, +parts.minute!, +parts.second!);
  return local.getTime() - Math.floor(at.getTime() / 1000) * 1000;
}

const chartInstantFormat = new Intl.DateTimeFormat('en-US', {
  dateStyle: 'long',
  timeStyle: 'short',
  timeZone: CHART_TIME_ZONE,
});

/** An instant as fans read it in emails and on the download page: release instants are New York midnights. */
export const formatChartInstant = (at: Date) => `${chartInstantFormat.format(at)} (New York time)`;

/** When the scheduled chart-file job makes a day's file: `delayMinutes` after the day closes in the chart's zone. */
export const chartFileReadyAt = (date: string, timeZone: string, delayMinutes: number): Date =>
  new Date(businessDayEnd(date, timeZone).getTime() + delayMinutes * 60_000);
