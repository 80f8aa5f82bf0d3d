import { SALES_TOPIC } from '@single/contracts';
import { createMemoryEventBus } from '@single/events';
import { silentLogger } from '@single/logger';
import { EDGE_VALID_DATES, INVALID_DATES } from '@single/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedArtist, seedChartRules, seedRelease, seedSales } from '../test-support/seed.ts';
import { SalesCacheInvalidator } from './cache-invalidator.ts';

describe('sales', () => {
  let h: Harness;
  let auth: Record<string, string>;
  let releaseId: string;
  beforeAll(async () => {
    h = await startHarness();
    const account = await seedAccount(h.pool, 'Sales');
    auth = account.auth;
    releaseId = (await seedRelease(h.pool, await seedArtist(h.pool, account.accountId))).id;
    await seedSales(h.pool, releaseId, '2026-11-27'); // Friday
    await seedSales(h.pool, releaseId, '2026-12-03'); // Thursday, same chart week
    await seedSales(h.pool, releaseId, '2026-12-04'); // next chart week
  });
  afterAll(() => h?.close());

  const get = (url: string) => h.api.app.inject({ url, headers: auth });

  it('sums the roll-ups by day, by chart week and by territory', async () => {
    const byDay = (await get(`/v1/sales/summary?releaseId=${releaseId}&from=2026-11-27&to=2026-12-04`)).json();
    expect(byDay.periods.map((p: { key: string; units: number }) => [p.key, p.units])).toEqual([
      ['2026-11-27', 4],
      ['2026-12-03', 4],
      ['2026-12-04', 4],
    ]);
    expect(byDay.territories).toEqual([
      { key: 'US', units: 9, amounts: [{ currency: 'USD', netAmount: '89.91' }] },
      { key: null, units: 3, amounts: [{ currency: 'USD', netAmount: '29.97' }] },
    ]);
    const byWeek = (
      await get(
        `/v1/sales/summary?releaseId=${releaseId}&from=2026-11-27&to=2026-12-04&groupBy=chart_week&level=region`,
      )
    ).json();
    expect(byWeek.periods.map((p: { key: string; units: number }) => [p.key, p.units])).toEqual([
      ['2026-11-27', 8],
      ['2026-12-04', 4],
    ]);
    expect(byWeek.territories.map((t: { key: string }) => t.key)).toEqual(['US-WA']);
    const week = (await get(`/v1/sales/summary?releaseId=${releaseId}&week=2026-12-01`)).json();
    expect([week.from, week.to]).toEqual(['2026-11-27', '2026-12-03']);
  });

  it('explains sold vs reported with reason codes', async () => {
    const res = await get(`/v1/sales/sold-vs-reported?releaseId=${releaseId}&week=2026-11-27&chart=luminate`);
    expect(res.json()).toEqual({
      chart: 'luminate',
      from: '2026-11-27',
      to: '2026-12-03',
      sold: 8,
      reported: 4,
      pending: 2,
      pendingByReason: [{ reasonCode: 'unspecified', units: 2 }],
      excluded: [{ reasonCode: 'below_floor', units: 2 }],
      returns: { total: 0, reported: 0 },
    });
  });

  it('downloads the chart week as CSV', async () => {
    const res = await get(`/v1/sales/chart.csv?releaseId=${releaseId}&week=2026-11-27`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toContain('luminate-2026-11-27-2026-12-03.csv');
    expect(res.body).toBe(
      'business_date,kind,upc,isrc,country,zip,currency,net_price,units\n' +
        '2026-11-27,sale,0036000291452,,US,98354,USD,9.99,2\n' +
        '2026-12-03,sale,0036000291452,,US,98354,USD,9.99,2\n',
    );
  });

  it('rejects impossible periods with a 400 and a code of their own', async () => {
    for (const [query, code] of [
      ['from=2026-12-04&to=2026-11-27', 'invalid_range'],
      ['from=2020-01-01&to=2026-01-01', 'range_too_long'],
      ['week=2026-11-27&from=2026-11-27', 'invalid_period'],
      ['from=2026-02-30', 'invalid_date'],
    ]) {
      const res = await get(`/v1/sales/summary?releaseId=${releaseId}&${query}`);
      expect([res.statusCode, res.headers['content-type'], res.json().code]).toEqual([
        400,
        'application/problem+json; charset=utf-8',
        code,
      ]);
    }
  });

  it.each(['/v1/sales/summary', '/v1/sales/sold-vs-reported', '/v1/sales/chart.csv'])(
    '%s answers 400 invalid_date, naming the parameter, for dates that cannot exist',
    async (path) => {
      const answers: string[] = [];
      for (const parameter of ['week', 'from', 'to'])
        for (const value of INVALID_DATES) {
          const res = await get(`${path}?releaseId=${releaseId}&${parameter}=${encodeURIComponent(value)}`);
          const body = res.json();
          if (res.statusCode !== 400 || body.code !== 'invalid_date' || body.parameter !== parameter)
            answers.push(`${parameter}=${JSON.stringify(value)} -> ${res.statusCode} ${res.body.slice(0, 120)}`);
        }
      expect(answers).toEqual([]);
      // Both range bounds and leap days are real dates, answered (empty periods are still 200).
      for (const value of EDGE_VALID_DATES)
        expect((await get(`${path}?releaseId=${releaseId}&week=${value}`)).statusCode, value).toBe(200);
      expect((await get(`${path}?releaseId=${releaseId}&from=2199-12-31&to=2199-12-31`)).statusCode).toBe(200);
      expect((await get(`${path}?releaseId=${releaseId}&to=1900-01-01`)).statusCode).toBe(200);
    },
  );

  // A bound derived from the other one, or from a week, never leaves the date type's range (it echoed
  // 1899-01-01, 2200-12-31, 1899-12-29 and 2200-01-02 before).
  it.each(['/v1/sales/summary', '/v1/sales/sold-vs-reported', '/v1/sales/chart.csv'])(
    '%s keeps derived bounds inside 1900-01-01..2199-12-31',
    async (path) => {
      for (const [query, from, to] of [
        ['to=1900-01-01', '1900-01-01', '1900-01-01'],
        ['from=2199-12-31', '2199-12-31', '2199-12-31'],
        ['to=1900-06-30', '1900-01-01', '1900-06-30'],
        ['week=1900-01-01', '1900-01-01', '1900-01-04'],
        ['week=2199-12-31', '2199-12-27', '2199-12-31'],
      ]) {
        const res = await get(`${path}?releaseId=${releaseId}&${query}`);
        expect(res.statusCode, `${query}: ${res.body}`).toBe(200);
        if (path.endsWith('.csv')) expect(res.headers['content-disposition'], query).toContain(`-${from}-${to}.csv`);
        else expect([query, res.json().from, res.json().to]).toEqual([query, from, to]);
      }
    },
  );

  it.each(['/v1/sales/sold-vs-reported', '/v1/sales/chart.csv'])(
    '%s answers 404 unknown_chart for a chart without rules',
    async (path) => {
      for (const chart of ['occ', 'nochart']) {
        const res = await get(`${path}?releaseId=${releaseId}&chart=${chart}`);
        expect([chart, res.statusCode, res.json().code]).toEqual([chart, 404, 'unknown_chart']);
      }
      expect((await get(`${path}?releaseId=${releaseId}&chart=luminate`)).statusCode).toBe(200);
    },
  );

  it('serves summaries from the cache until a sales event for the release arrives', async () => {
    const url = `/v1/sales/summary?releaseId=${releaseId}&week=2026-11-27&level=postal`; // not requested before
    const first = (await get(url)).json();
    expect(first.cached).toBe(false);
    await seedSales(h.pool, releaseId, '2026-11-28');
    const second = (await get(url)).json();
    expect(second.cached).toBe(true);
    expect(second.periods).toEqual(first.periods); // stale on purpose: nothing told the cache yet

    const events = createMemoryEventBus();
    const invalidator = new SalesCacheInvalidator({
      events,
      summaries: h.api.summaries,
      logger: silentLogger(),
      settleMs: 50,
    });
    await invalidator.start();
    try {
      await events.publish(SALES_TOPIC, [{ key: '1', value: JSON.stringify({ type: 'sale.redeemed', releaseId }) }]);
      const deadline = Date.now() + 5_000;
      let fresh = (await get(url)).json();
      while (fresh.cached && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        fresh = (await get(url)).json();
      }
      expect(fresh.cached).toBe(false);
      expect(fresh.periods.map((p: { key: string }) => p.key)).toContain('2026-11-28');
    } finally {
      await invalidator.stop();
      await events.close();
    }
  });
});

// Charts live in America/New_York: at 03:00 UTC on Friday Dec 4 it is still Thursday Dec 3 there, the last
// day of the chart week that began on Friday Nov 27. The UTC date would name the next week.
describe('sales periods by default: the chart week of the business day in New York', () => {
  let h: Harness;
  let auth: Record<string, string>;
  let releaseId: string;
  beforeAll(async () => {
    h = await startHarness({ now: () => new Date('2026-12-04T03:00:00Z') });
    const account = await seedAccount(h.pool, 'Clock');
    auth = account.auth;
    releaseId = (await seedRelease(h.pool, await seedArtist(h.pool, account.accountId))).id;
    await seedSales(h.pool, releaseId, '2026-12-03'); // Thursday in New York, the night of the clock
    await seedSales(h.pool, releaseId, '2026-12-04');
  });
  afterAll(() => h?.close());

  const get = (url: string) => h.api.app.inject({ url, headers: auth });

  it('summary and sold-vs-reported default to the week of Thursday Dec 3', async () => {
    const summary = (await get(`/v1/sales/summary?releaseId=${releaseId}`)).json();
    expect([summary.from, summary.to]).toEqual(['2026-11-27', '2026-12-03']);
    expect(summary.periods.map((p: { key: string }) => p.key)).toEqual(['2026-12-03']);
    const svr = (await get(`/v1/sales/sold-vs-reported?releaseId=${releaseId}`)).json();
    expect([svr.from, svr.to, svr.sold]).toEqual(['2026-11-27', '2026-12-03', 4]);
  });

  it("reads a chart's rules by the app's clock, not the database's", async () => {
    // The app's clock (Dec 4, 03:00 UTC) decides which rules are in force, whatever the database's clock says:
    // rules from Dec 3 are; rules from Dec 5 are not yet (a chart unknown at that instant).
    await seedChartRules(h.pool, 'later', { effectiveFrom: new Date('2026-12-03T05:00:00Z') });
    await seedChartRules(h.pool, 'future', { effectiveFrom: new Date('2026-12-05T05:00:00Z') });
    const known = await get(`/v1/sales/sold-vs-reported?releaseId=${releaseId}&chart=later`);
    expect(known.statusCode, known.body).toBe(200);
    const notYet = await get(`/v1/sales/sold-vs-reported?releaseId=${releaseId}&chart=future`);
    expect([notYet.statusCode, notYet.json().code]).toEqual([404, 'unknown_chart']);
  });

  it('the chart CSV names and holds that week', async () => {
    const res = await get(`/v1/sales/chart.csv?releaseId=${releaseId}`);
    expect(res.headers['content-disposition']).toContain('luminate-2026-11-27-2026-12-03.csv');
    expect(res.body.split('\n').slice(1, -1)).toEqual(['2026-12-03,sale,0036000291452,,US,98354,USD,9.99,2']);
  });
});
