import { z } from 'zod';

// One calendar-date type for every route, body field and tool: a proleptic Gregorian date written exactly
// YYYY-MM-DD, within a declared range. It is checked field by field, never by `new Date(string)`, which
// accepts `+02026-01-01`, turns years 0-99 into 19xx (Date.UTC) and rolls `2026-02-30` over into March.
// Instants (release instants, pre-order windows) get the same treatment: RFC 3339 with an offset, in range.

/** First and last day any API or tool accepts; PostgreSQL and every chart are happy within them. */
export const CALENDAR_DATE_MIN = '1900-01-01';
export const CALENDAR_DATE_MAX = '2199-12-31';
/** The year range as a pattern, for API documents (the day of the month is checked by `format: date`). */
export const CALENDAR_DATE_PATTERN = '^(19\\d\\d|2[01]\\d\\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$';
export const INSTANT_PATTERN =
  '^(19\\d\\d|2[01]\\d\\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])T([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(\\.\\d{1,9})?(Z|[+-]([01]\\d|2[0-3]):[0-5]\\d)$';
/** Problem code the HTTP layer answers for any value that fails these schemas (see @single/http). */
export const INVALID_DATE = 'invalid_date';

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

export const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const validDay = (y: number, m: number, d: number) => m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);

/** Days since 1970-01-01 of a date; setUTCFullYear, unlike Date.UTC, takes years 0-99 as they are. */
function epochDay(y: number, m: number, d: number): number {
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d);
  return Math.round(t.getTime() / DAY_MS);
}

function parts(date: string): [number, number, number] {
  const match = DATE.exec(date);
  if (!match) throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(date.slice(0, 40))}`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

const INSTANT_MIN_MS = epochDay(1900, 1, 1) * DAY_MS;
const INSTANT_END_MS = epochDay(2200, 1, 1) * DAY_MS;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function fromEpochDay(day: number): string {
  const t = new Date(day * DAY_MS);
  return `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}`;
}

/** A real calendar date, YYYY-MM-DD, from CALENDAR_DATE_MIN to CALENDAR_DATE_MAX. */
export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const match = DATE.exec(value);
  if (!match) return false;
  return (
    validDay(Number(match[1]), Number(match[2]), Number(match[3])) &&
    value >= CALENDAR_DATE_MIN &&
    value <= CALENDAR_DATE_MAX
  );
}

/** The instant of an RFC 3339 date-time with an offset, or undefined when it is not one or out of range. */
export function parseInstant(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const m = INSTANT.exec(value);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s, oh, om] = [1, 2, 3, 4, 5, 6, 9, 10].map((i) => Number(m[i] ?? 0)) as number[] as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (!validDay(y, mo, d) || h > 23 || mi > 59 || s > 59 || oh > 23 || om > 59) return undefined;
  const written = value.slice(0, 10);
  if (written < CALENDAR_DATE_MIN || written > CALENDAR_DATE_MAX) return undefined;
  const offsetMinutes = (m[8] === '-' ? -1 : 1) * (oh * 60 + om);
  const ms = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  const at = epochDay(y, mo, d) * DAY_MS + ((h * 60 + mi - offsetMinutes) * 60 + s) * 1000 + ms;
  return at >= INSTANT_MIN_MS && at < INSTANT_END_MS ? new Date(at) : undefined;
}

export const isInstant = (value: unknown): value is string => parseInstant(value) !== undefined;

/** Whether an instant computed elsewhere (e.g. "7d ago") lies in the declared range (1900-01-01 to 2199). */
export const isInstantInRange = (instant: Date): boolean => {
  const at = instant.getTime();
  return Number.isFinite(at) && at >= INSTANT_MIN_MS && at < INSTANT_END_MS;
};

/** The date `days` after (or before) a date. */
export function addDays(date: string, days: number): string {
  return fromEpochDay(epochDay(...parts(date)) + days);
}

/** Inclusive count of days from `from` to `to` (1 for a single day). */
export function daysBetween(from: string, to: string): number {
  return epochDay(...parts(to)) - epochDay(...parts(from)) + 1;
}

/** Day of the week, 0 = Sunday ... 6 = Saturday. */
export function weekday(date: string): number {
  return new Date(epochDay(...parts(date)) * DAY_MS).getUTCDay();
}

/** The chart week containing a date; US (Luminate) weeks, like OCC's and ARIA's, run Friday to Thursday. */
export function chartWeek(date: string, firstDay = 5): { from: string; to: string } {
  const from = addDays(date, -((weekday(date) - firstDay + 7) % 7));
  return { from, to: addDays(from, 6) };
}

const DATE_DESCRIPTION = `A calendar date YYYY-MM-DD from ${CALENDAR_DATE_MIN} to ${CALENDAR_DATE_MAX}`;
const INSTANT_DESCRIPTION = `An RFC 3339 instant with offset (Z or ±hh:mm), from ${CALENDAR_DATE_MIN}T00:00:00Z to before 2200-01-01T00:00:00Z`;

/**
 * The zod schema of a calendar date (the artist API). Its issue carries `params.problem`, by which
 * @single/http answers `invalid_date` naming the field; the JSON schema says format, pattern and range.
 */
export const calendarDate = z
  .string()
  .refine(isCalendarDate, { message: DATE_DESCRIPTION, params: { problem: INVALID_DATE } })
  .meta({
    description: DATE_DESCRIPTION,
    format: 'date',
    pattern: CALENDAR_DATE_PATTERN,
    minLength: 10,
    maxLength: 10,
    formatMinimum: CALENDAR_DATE_MIN,
    formatMaximum: CALENDAR_DATE_MAX,
    examples: ['2026-11-27'],
  });

/** The zod schema of an instant, with the same problem marker. */
export const instant = z
  .string()
  .refine(isInstant, { message: INSTANT_DESCRIPTION, params: { problem: INVALID_DATE } })
  .meta({
    description: INSTANT_DESCRIPTION,
    format: 'date-time',
    pattern: INSTANT_PATTERN,
    formatMinimum: `${CALENDAR_DATE_MIN}T00:00:00Z`,
    formatMaximum: `${CALENDAR_DATE_MAX}T23:59:59.999Z`,
    examples: ['2026-11-27T05:00:00Z'],
  });

/**
 * The same date as a plain JSON schema, for fastify's own validator (geo-reporting): ajv-formats checks
 * the day of the month (`format: date`) and the range (`formatMinimum`/`formatMaximum`), and
 * @single/http answers each of those failures `invalid_date`. No `pattern` here: its failure could not
 * be told from another field's.
 */
export const calendarDateJsonSchema = {
  type: 'string',
  format: 'date',
  formatMinimum: CALENDAR_DATE_MIN,
  formatMaximum: CALENDAR_DATE_MAX,
  description: DATE_DESCRIPTION,
} as const;
