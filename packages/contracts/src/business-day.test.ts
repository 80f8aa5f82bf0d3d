import { describe, expect, it } from 'vitest';
import { businessDate, businessDayEnd, isClosedDay, lastClosedBusinessDay, zonedMidnight } from './business-day.ts';

describe('business day (America/New_York by default)', () => {
  // 03:00 UTC on Dec 7 is still Dec 6 in New York: the UTC date names the wrong day.
  const now = new Date('2026-12-07T03:00:00Z');

  it('is the date in the chart zone, not in UTC', () => {
    expect(businessDate(now)).toBe('2026-12-06');
    expect(businessDate(now, 'Europe/London')).toBe('2026-12-07');
    expect(lastClosedBusinessDay(now)).toBe('2026-12-05');
    expect(isClosedDay('2026-12-06', now)).toBe(false);
    expect(isClosedDay('2026-12-05', now)).toBe(true);
  });

  it('closes at midnight New York, whatever the daylight-saving time', () => {
    expect(businessDayEnd('2026-12-06').toISOString()).toBe('2026-12-07T05:00:00.000Z');
    expect(businessDayEnd('2026-07-16').toISOString()).toBe('2026-07-17T04:00:00.000Z');
    expect(zonedMidnight('2026-03-08').toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(zonedMidnight('2026-11-01').toISOString()).toBe('2026-11-01T04:00:00.000Z');
    expect(businessDate(zonedMidnight('2026-11-27'))).toBe('2026-11-27');
  });
});
