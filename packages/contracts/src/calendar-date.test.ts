import { describe, expect, it } from 'vitest';
import {
  addDays,
  CALENDAR_DATE_PATTERN,
  calendarDate,
  chartWeek,
  daysBetween,
  INSTANT_PATTERN,
  instant,
  isCalendarDate,
  parseInstant,
} from './calendar-date.ts';

// Dates that cannot exist, or lie outside the declared range, must never reach a database or a chart.
const IMPOSSIBLE = [
  '0000-01-01',
  '0099-12-31',
  '1899-12-31',
  '2026-13-01',
  '2026-00-10',
  '2026-01-00',
  '2026-01-32',
  '2026-02-29',
  '2100-02-29',
  '2026-04-31',
  '2200-01-01',
  '9999-12-31',
  '+02026-01-01',
  '-002026-01-01',
  '2026-1-5',
  '2026-01-5',
  '20260105',
  '2026/01/05',
  '2026-01-05T00:00:00Z',
  '2026-01-05\n',
  ' 2026-01-05',
  '2026-01-05 ',
  '２０２６-01-05',
  '',
  ' ',
];
const REAL = ['1900-01-01', '2000-02-29', '2024-02-29', '2028-02-29', '2026-04-30', '2026-12-31', '2199-12-31'];

describe('calendar date', () => {
  it.each(IMPOSSIBLE)('refuses %j', (value) => {
    expect(isCalendarDate(value)).toBe(false);
    expect(calendarDate.safeParse(value).success).toBe(false);
  });

  it.each(REAL)('accepts %s', (value) => {
    expect(isCalendarDate(value)).toBe(true);
    expect(calendarDate.parse(value)).toBe(value);
    expect(new RegExp(CALENDAR_DATE_PATTERN).test(value)).toBe(true);
  });

  it('marks its issue so the HTTP layer answers invalid_date', () => {
    const result = calendarDate.safeParse('2026-02-29');
    expect(result.error?.issues[0]).toMatchObject({ code: 'custom', params: { problem: 'invalid_date' } });
  });

  it('counts days without Date.parse pitfalls, across leap days, years and the range bounds', () => {
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2199-12-31', 1)).toBe('2200-01-01');
    expect(addDays('1900-01-01', -1)).toBe('1899-12-31');
    expect(addDays('0100-01-01', -1)).toBe('0099-12-31'); // not 1999: no two-digit-year quirk
    expect(daysBetween('2026-11-27', '2026-12-03')).toBe(7);
    expect(daysBetween('1900-01-01', '2199-12-31')).toBe(109_573);
  });

  it('runs the chart week Friday to Thursday', () => {
    expect(chartWeek('2026-11-27')).toEqual({ from: '2026-11-27', to: '2026-12-03' }); // a Friday
    expect(chartWeek('2026-12-03')).toEqual({ from: '2026-11-27', to: '2026-12-03' }); // the Thursday after
    expect(chartWeek('2026-11-26')).toEqual({ from: '2026-11-20', to: '2026-11-26' }); // the Thursday before
    expect(chartWeek('2199-12-31')).toEqual({ from: '2199-12-27', to: '2200-01-02' });
  });
});

describe('instant', () => {
  it.each([
    '2026-11-27T05:00:00Z',
    '2026-11-27T00:00:00-05:00',
    '2026-11-27T05:00:00.123456+00:00',
    '1900-01-01T00:00:00Z',
    '2199-12-31T23:59:59Z',
    '2028-02-29T12:00:00+14:00',
  ])('accepts %s', (value) => {
    expect(parseInstant(value)?.toISOString()).toBe(new Date(value).toISOString());
    expect(instant.parse(value)).toBe(value);
    expect(new RegExp(INSTANT_PATTERN).test(value)).toBe(true);
  });

  it.each([
    '0050-01-01T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '1899-12-31T23:59:59Z',
    '1900-01-01T00:00:00+01:00', // 1899 in UTC
    '2199-12-31T23:00:00-05:00', // 2200 in UTC
    '9999-12-31T23:59:59Z',
    '2026-02-29T00:00:00Z',
    '2026-11-27T24:00:00Z',
    '2026-11-27T05:00:60Z',
    '2026-11-27T05:00:00',
    '2026-11-27T05:00:00+0500',
    '2026-11-27T05:00:00+24:00',
    '+02026-11-27T05:00:00Z',
    '2026-11-27',
    '',
  ])('refuses %j', (value) => {
    expect(parseInstant(value)).toBeUndefined();
    expect(instant.safeParse(value).success).toBe(false);
  });
});
