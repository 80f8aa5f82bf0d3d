import { randomUUID } from 'node:crypto';
import { type SalesEventV1, salesEventV1 } from '@single/contracts';
import type { Db } from '@single/db';
import { createTestDatabase, type TestDatabase } from '@single/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LUMINATE_VERSIONS } from '../charts/rules.ts';
import { createWarmDb } from '../support/db.ts';
import { seedRelease, testGeoIp, testSalesService } from '../test-support/setup.ts';
import { seedChartRules } from './sales.repository.ts';
import type { SalesService } from './sales.service.ts';

// "One unit per UPC per fan, ever" on the real database, through SalesService.handle: an IP is a fan signal only
// together with a ZIP, within Luminate v2's 24-hour window; the email is one for ever. Events of one scenario are
// handled concurrently (several pool connections), so the per-(chart, product) serialisation is exercised too.
describe('fan identity on PostgreSQL', () => {
  const SHOP = 'single-demo.myshopify.com';
  const NAT = '216.160.83.56'; // one public address (the GeoIP test database places it in Milton, WA)
  const T0 = Date.parse('2027-01-08T15:00:00Z'); // Luminate v2 in force
  const HOUR = 3_600_000;
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: Db;
  let sales: SalesService;
  const releaseId = randomUUID();

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 8 });
    db = await createWarmDb(database.url, { maxConnections: 8 }); // as the runtime warms it
    await seedRelease(pool, { id: releaseId, upc: '0602445789012' });
    await seedChartRules(db, LUMINATE_VERSIONS);
    sales = testSalesService(db, pool, await testGeoIp());
  });

  afterAll(async () => {
    await db?.$disconnect();
    await pool?.end();
    await database?.drop();
  });

  let orders = 0;
  /** A paid and redeemed unit of an order of its own. */
  function purchase(upc: string, fan: SalesEventV1['fan'], at: number): SalesEventV1[] {
    orders += 1;
    const base = {
      version: 1,
      shopDomain: SHOP,
      orderId: String(5550000000 + orders),
      orderLineId: String(13000000 + orders),
      releaseId,
      upc,
      quantity: 1,
      unitPriceNet: '9.99',
      currency: 'USD',
      fan,
    };
    return [
      salesEventV1.parse({
        ...base,
        eventId: randomUUID(),
        type: 'sale.recorded',
        occurredAt: new Date(at).toISOString(),
      }),
      salesEventV1.parse({
        ...base,
        eventId: randomUUID(),
        type: 'sale.redeemed',
        occurredAt: new Date(at + 60_000).toISOString(),
      }),
    ];
  }

  /**
   * Sales first, then every redemption at once: each redemption is where its unit counts (and claims its fan
   * keys), and redemptions take no roll-up row locks, so their claims really run side by side.
   */
  async function handleAll(events: SalesEventV1[]) {
    await Promise.all(events.filter((e) => e.type !== 'sale.redeemed').map((event) => sales.handle(event)));
    await Promise.all(events.filter((e) => e.type === 'sale.redeemed').map((event) => sales.handle(event)));
  }

  /** What the chart made of the UPC's units: counts by outcome (eligible, or the reason left out). */
  async function outcomes(upc: string): Promise<Record<string, number>> {
    const { rows } = await pool.query(
      `SELECT coalesce(reason_code, eligibility::text) AS outcome, count(*)::int AS n FROM sale_line
        WHERE chart = 'luminate' AND upc = $1 AND kind = 'sale' GROUP BY 1`,
      [upc],
    );
    return Object.fromEntries(rows.map((r) => [r.outcome, r.n]));
  }

  it('50 fans behind one public address (distinct emails, same ZIP, same hour) each chart once', async () => {
    const upc = '0602445789012';
    await handleAll(
      Array.from({ length: 50 }, (_, i) =>
        purchase(
          upc,
          { emailHash: `fan-${i}`, browserIp: NAT, billingZip: '98354', billingCountry: 'US' },
          T0 + i * 60_000,
        ),
      ).flat(),
    );
    expect(await outcomes(upc)).toEqual({ eligible: 50 });
  });

  it('one purchase without an email, then 49 fans with their own emails behind the same address and ZIP: 50 chart', async () => {
    const upc = '0602445789067';
    const place = { browserIp: NAT, billingZip: '98354', billingCountry: 'US' };
    // The guest checkout is judged first, so its IP + ZIP key is registered before every emailed fan claims.
    await handleAll(purchase(upc, place, T0));
    await handleAll(
      Array.from({ length: 49 }, (_, i) =>
        purchase(upc, { ...place, emailHash: `mixed-${i}` }, T0 + (i + 1) * 60_000),
      ).flat(),
    );
    expect(await outcomes(upc)).toEqual({ eligible: 50 });
  });

  it('one fan buying 50 times with one email, handled concurrently, charts once; the rest are bulk_capped', async () => {
    const upc = '0602445789029';
    await handleAll(
      Array.from({ length: 50 }, (_, i) =>
        purchase(
          upc,
          { emailHash: 'one-fan', browserIp: NAT, billingZip: '98354', billingCountry: 'US' },
          T0 + i * HOUR,
        ),
      ).flat(),
    );
    expect(await outcomes(upc)).toEqual({ eligible: 1, bulk_capped: 49 });
  });

  it('one fan without an email buying 50 times from one IP and ZIP within the window, concurrently, charts once', async () => {
    const upc = '0602445789036';
    const fan = { browserIp: NAT, billingZip: '98354', billingCountry: 'US' };
    await handleAll(Array.from({ length: 50 }, (_, i) => purchase(upc, fan, T0 + i * 20 * 60_000)).flat());
    expect(await outcomes(upc)).toEqual({ eligible: 1, bulk_capped: 49 });
  });

  it('the same IP and ZIP outside the window is a new fan; the same IP without a ZIP never links two fans', async () => {
    const later = '0602445789043';
    const fan = { browserIp: NAT, billingZip: '98354', billingCountry: 'US' };
    await handleAll(purchase(later, fan, T0));
    await handleAll(purchase(later, fan, T0 + 25 * HOUR));
    expect(await outcomes(later)).toEqual({ eligible: 2 });

    const ipOnly = '0602445789050';
    await handleAll(purchase(ipOnly, { browserIp: NAT }, T0));
    await handleAll(purchase(ipOnly, { browserIp: NAT }, T0 + HOUR));
    expect(await outcomes(ipOnly)).toEqual({ eligible: 2 });
  });

  it('registers each key once per unit with its kind, and stores no raw IP or ZIP', async () => {
    const { rows } = await pool.query(
      `SELECT kind::text, count(*)::int AS n, bool_and(fan_key ~ '^[0-9a-f]{64}$') AS hashed,
              bool_and(seen_at IS NOT NULL) AS timed
         FROM chart_fan_key WHERE product = 'upc:0602445789043' GROUP BY 1 ORDER BY 1`,
    );
    // two units: each its order key (strong) and its IP + ZIP key (weak)
    expect(rows).toEqual([
      { kind: 'strong', n: 2, hashed: true, timed: true },
      { kind: 'weak', n: 2, hashed: true, timed: true },
    ]);
  });
});
