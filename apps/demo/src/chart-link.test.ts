import { describe, expect, it } from 'vitest';
import { chartFileEntry } from './chart-link.ts';

const geoUrl = 'http://127.0.0.1:4003';
const token = 'demo-token';
const auth = `curl -H 'authorization: Bearer ${token}'`;

// 03:00 UTC on Dec 7 is still Dec 6 in New York. The old link named "New York's yesterday" (Dec 5) whatever
// the sales: a day without the demo's sales, whose file says nothing.
describe('the chart file in the demo summary', () => {
  const now = new Date('2026-12-07T03:00:00Z');
  const entry = (salesDays: string[]) => chartFileEntry({ now, geoUrl, token, delayMinutes: 30, salesDays });

  it("says when the demo's job makes the first file while every sale is still New York's today", () => {
    expect(entry(['2026-12-06'])).toBe(
      "the first chart file, for 2026-12-06, is made by the demo's chart-file job at 2026-12-07T05:30:00.000Z " +
        '(after midnight New York; keep the demo running): ' +
        `${auth} '${geoUrl}/v1/reports/chart?chart=luminate&date=2026-12-06'; the day so far: ` +
        `${auth} '${geoUrl}/v1/reports/chart/preview?chart=luminate&date=2026-12-06'`,
    );
  });

  it('links the last closed business day that has sales, with the credential the reports need', () => {
    expect(entry(['2026-12-01', '2026-12-04', '2026-12-06'])).toBe(
      `${auth} '${geoUrl}/v1/reports/chart?chart=luminate&date=2026-12-04'`,
    );
  });

  it('names the current business day when nothing sold yet', () => {
    expect(entry([])).toContain('for 2026-12-06, is made by');
  });
});
