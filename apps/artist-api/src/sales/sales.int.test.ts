import { SALES_TOPIC } from '@single/contracts';
import { createMemoryEventBus } from '@single/events';
import { silentLogger } from '@single/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedArtist, seedRelease, seedSales } from '../test-support/seed.ts';
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

  it('rejects impossible periods', async () => {
    for (const query of [
      'from=2026-12-04&to=2026-11-27',
      'from=2020-01-01&to=2026-01-01',
      'week=2026-11-27&from=2026-11-27',
    ]) {
      expect((await get(`/v1/sales/summary?releaseId=${releaseId}&${query}`)).statusCode).toBe(422);
    }
    expect((await get(`/v1/sales/summary?releaseId=${releaseId}&from=2026-02-30`)).statusCode).toBe(400);
  });

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
