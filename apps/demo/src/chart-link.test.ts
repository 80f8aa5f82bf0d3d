import { describe, expect, it } from 'vitest';
import { chartFileEntry } from './chart-link.ts';

const geoUrl = 'http://127.0.0.1:4003';

// 03:00 UTC on Dec 7 is still Dec 6 in New York. The old link named "New York's yesterday" (Dec 5) whatever
// the sales: a day without the demo's sales, whose file says nothing.
describe('the chart file in the demo summary', () => {
  const now = new Date('2026-12-07T03:00:00Z');

  it("says when the first file exists while every sale is still New York's today", () => {
    expect(chartFileEntry({ now, geoUrl, salesDays: ['2026-12-06'] })).toBe(
      'the first chart file, for 2026-12-06, exists after midnight New York (2026-12-07T05:00:00.000Z): ' +
        `${geoUrl}/v1/reports/chart?chart=luminate&date=2026-12-06; until then, see the week so far in the artist API's chart CSV`,
    );
  });

  it('links the last closed business day that has sales', () => {
    expect(chartFileEntry({ now, geoUrl, salesDays: ['2026-12-01', '2026-12-04', '2026-12-06'] })).toBe(
      `${geoUrl}/v1/reports/chart?chart=luminate&date=2026-12-04`,
    );
  });

  it('names the current business day when nothing sold yet', () => {
    expect(chartFileEntry({ now, geoUrl, salesDays: [] })).toContain('for 2026-12-06, exists after midnight New York');
  });
});
