import { describe, expect, it } from 'vitest';
import { chartWeek, daysBetween, isIsoDate } from './chart-week.ts';

describe('chartWeek', () => {
  it('runs Friday to Thursday', () => {
    expect(chartWeek('2026-11-27')).toEqual({ from: '2026-11-27', to: '2026-12-03' }); // a Friday
    expect(chartWeek('2026-12-03')).toEqual({ from: '2026-11-27', to: '2026-12-03' }); // the Thursday after
    expect(chartWeek('2026-11-26')).toEqual({ from: '2026-11-20', to: '2026-11-26' }); // the Thursday before
    expect(chartWeek('2027-01-01')).toEqual({ from: '2027-01-01', to: '2027-01-07' });
  });

  it('counts days inclusively and rejects impossible dates', () => {
    expect(daysBetween('2026-11-27', '2026-12-03')).toBe(7);
    expect(isIsoDate('2026-02-29')).toBe(false);
    expect(isIsoDate('2028-02-29')).toBe(true);
    expect(isIsoDate('2026-1-01')).toBe(false);
  });
});
