import { randomUUID } from 'node:crypto';
import { type SalesEventV1, salesEventV1 } from '@single/contracts';
import type { Db } from '@single/db';
import { createLogger } from '@single/logger';
import { createTestDatabase, type TestDatabase } from '@single/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChartRuleSet, LUMINATE_VERSIONS } from '../charts/rules.ts';
import type { GeoIp } from '../geoip/geoip.ts';
import { Metrics } from '../integrity/metrics.ts';
import { buildChartFile } from '../reports/report.repository.ts';
import { createWarmDb } from '../support/db.ts';
import { seedRelease, testGeoIp, testSalesService } from '../test-support/setup.ts';
import { salesEventHandler } from './sales.consumer.ts';
import { seedChartRules } from './sales.repository.ts';
import { SalesService } from './sales.service.ts';

// What geo-reporting stores and charts of each unit, through SalesService.handle on the real database: the amounts
// beside the net, floors on the net, fan packs, a reversal of the unit the refund names, a replayed event, and
// currencies with three decimals.
describe('recorded sales on PostgreSQL', () => {
  const SHOP = 'single-demo.myshopify.com';
  const T0 = Date.parse('2027-01-08T15:00:00Z'); // Luminate v2 in force
  const MINUTE = 60_000;
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: Db;
  let sales: SalesService;
  let geo: GeoIp;
  const releaseId = randomUUID();
  const UPC = '0602445789012';
  /** A chart of the Gulf states, as data: its floors are in KWD and BHD (three decimals). */
  const GULF: ChartRuleSet = {
    chart: 'gulf',
    version: 1,
    effectiveFrom: new Date('2020-01-01T00:00:00Z'),
    rules: {
      timeZone: 'Asia/Kuwait',
      territories: ['KW', 'BH'],
      priceFloors: { album: { KWD: '1.000', BHD: '1.000' }, track: { KWD: '0.100', BHD: '0.100' } },
      requireRedemption: true,
      onePerFanDigital: true,
      excludeTestOrders: true,
      refundsAsReturns: true,
    },
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
    db = await createWarmDb(database.url, { maxConnections: 4 }); // as the runtime warms it
    await seedRelease(pool, { id: releaseId, upc: UPC });
    await seedChartRules(db, [...LUMINATE_VERSIONS, GULF]);
    geo = await testGeoIp();
    sales = testSalesService(db, pool, geo, ['luminate', 'gulf']);
  });

  afterAll(async () => {
    await db?.$disconnect();
    await pool?.end();
    await database?.drop();
  });

  let lines = 0;
  /** A new order line of its own; `event` builds its events (one unit each). */
  function orderLine(defaults: Partial<SalesEventV1> = {}) {
    lines += 1;
    const line = {
      orderId: String(5_560_000_000 + lines),
      orderLineId: String(14_000_000 + lines),
      fan: { emailHash: `fan-${lines}`, billingZip: '98354', billingCountry: 'US' },
    };
    const event = (type: SalesEventV1['type'], unitIndex: number, at: number, extra: Partial<SalesEventV1> = {}) =>
      salesEventV1.parse({
        version: 1,
        eventId: randomUUID(),
        type,
        occurredAt: new Date(at).toISOString(),
        shopDomain: SHOP,
        releaseId,
        upc: UPC,
        quantity: 1,
        unitIndex,
        unitPriceNet: '9.99',
        currency: 'USD',
        ...line,
        ...defaults,
        ...extra,
      });
    return { ...line, event };
  }

  async function handle(...events: SalesEventV1[]) {
    const outcomes = [];
    for (const event of events) outcomes.push(await sales.handle(event));
    return outcomes;
  }

  async function saleLines(orderLineId: string, chart = 'luminate') {
    const { rows } = await pool.query(
      `SELECT unit_index, kind::text, coalesce(reason_code, eligibility::text) AS outcome, net_price::text AS net,
              gross_price::text AS gross, discount_amount::text AS discount, tax_amount::text AS tax
         FROM sale_line WHERE chart = $1 AND order_line_id = $2 ORDER BY unit_index, kind`,
      [chart, orderLineId],
    );
    return rows;
  }

  it('keeps the list price, discount and tax beside the net, in located_sale and in sale_line', async () => {
    const line = orderLine({ unitPriceNet: '7.49', unitPriceGross: '9.99', unitDiscount: '2.50', unitTax: '0.49' });
    await handle(line.event('sale.recorded', 0, T0), line.event('sale.redeemed', 0, T0 + MINUTE));
    const { rows } = await pool.query(
      `SELECT type, net_price::text AS net, gross_price::text AS gross, discount_amount::text AS discount,
              tax_amount::text AS tax FROM located_sale WHERE order_line_id = $1 ORDER BY occurred_at`,
      [line.orderLineId],
    );
    expect(rows).toEqual([
      { type: 'sale.recorded', net: '7.49', gross: '9.99', discount: '2.50', tax: '0.49' },
      { type: 'sale.redeemed', net: '7.49', gross: '9.99', discount: '2.50', tax: '0.49' },
    ]);
    expect(await saleLines(line.orderLineId)).toEqual([
      { unit_index: 0, kind: 'sale', outcome: 'eligible', net: '7.49', gross: '9.99', discount: '2.50', tax: '0.49' },
    ]);
  });

  it('applies the price floor to the net: a discount that takes a 9.99 album below 3.49 is below_floor', async () => {
    const line = orderLine({ unitPriceNet: '3.00', unitPriceGross: '9.99', unitDiscount: '6.99', unitTax: '0.00' });
    await handle(line.event('sale.recorded', 0, T0), line.event('sale.redeemed', 0, T0 + MINUTE));
    expect((await saleLines(line.orderLineId)).map((r) => [r.outcome, r.net, r.gross])).toEqual([
      ['below_floor', '3.00', '9.99'],
    ]);
  });

  it('a merch bundle charts when it is an approved fan pack, and is not_fan_pack otherwise', async () => {
    const approved = orderLine({ merchBundle: true, fanPack: true });
    const plain = orderLine({ merchBundle: true, fanPack: false });
    for (const line of [approved, plain])
      await handle(line.event('sale.recorded', 0, T0), line.event('sale.redeemed', 0, T0 + MINUTE));
    expect((await saleLines(approved.orderLineId)).map((r) => r.outcome)).toEqual(['eligible']);
    expect((await saleLines(plain.orderLineId)).map((r) => r.outcome)).toEqual(['not_fan_pack']);
  });

  it('a refund of unit 1 reverses unit 1 (the counted one), not the uncounted unit 0', async () => {
    const line = orderLine();
    await handle(
      line.event('sale.recorded', 0, T0, { unitPriceNet: '7.49' }),
      line.event('sale.recorded', 1, T0, { unitPriceNet: '7.50' }),
      line.event('sale.redeemed', 1, T0 + MINUTE, { unitPriceNet: '7.50' }),
      line.event('sale.reversed', 1, T0 + 2 * MINUTE, { unitPriceNet: '7.50' }),
    );
    expect((await saleLines(line.orderLineId)).map((r) => [r.unit_index, r.kind, r.outcome, r.net])).toEqual([
      [0, 'sale', 'not_redeemed', '7.49'],
      [1, 'return', 'eligible', '7.50'],
      [1, 'sale', 'eligible', '7.50'],
    ]);
  });

  it('a sale.recorded replayed under a new eventId is a duplicate, not a second unit; the refund returns the counted unit', async () => {
    const line = orderLine();
    const recorded = line.event('sale.recorded', 0, T0);
    expect(
      await handle(
        recorded,
        { ...recorded, eventId: randomUUID(), occurredAt: new Date(T0 + MINUTE).toISOString() },
        line.event('sale.redeemed', 0, T0 + 2 * MINUTE),
        line.event('sale.reversed', 0, T0 + 3 * MINUTE),
      ),
    ).toEqual(['processed', 'duplicate', 'processed', 'processed']);
    expect((await saleLines(line.orderLineId)).map((r) => [r.unit_index, r.kind, r.outcome])).toEqual([
      [0, 'return', 'eligible'],
      [0, 'sale', 'eligible'],
    ]);
    // The replay is not stored (nor added to the roll-ups).
    const { rows } = await pool.query(`SELECT type FROM located_sale WHERE order_line_id = $1 ORDER BY occurred_at`, [
      line.orderLineId,
    ]);
    expect(rows.map((r) => r.type)).toEqual(['sale.recorded', 'sale.redeemed', 'sale.reversed']);
  });

  it('a second sale.recorded of a unit under another release is a duplicate: one unit per index, its reversal on it', async () => {
    // The old worker recorded a line again under a re-pointed mapping's release (review P, D3).
    const other = randomUUID();
    await pool.query(
      `INSERT INTO release (id, artist_id, title, upc, release_instant, updated_at)
       SELECT $1, artist_id, 'High Tide', '0602445789029', release_instant, now() FROM release WHERE id = $2`,
      [other, releaseId],
    );
    const line = orderLine();
    const underB = { releaseId: other, upc: '0602445789029' };
    expect(
      await handle(
        line.event('sale.recorded', 0, T0),
        line.event('sale.recorded', 1, T0),
        line.event('sale.redeemed', 0, T0 + MINUTE),
        line.event('sale.recorded', 0, T0 + 2 * MINUTE, underB),
        line.event('sale.recorded', 1, T0 + 2 * MINUTE, underB),
        line.event('sale.reversed', 1, T0 + 3 * MINUTE, underB),
      ),
    ).toEqual(['processed', 'processed', 'processed', 'duplicate', 'duplicate', 'processed']);
    expect((await saleLines(line.orderLineId)).map((r) => [r.unit_index, r.kind, r.outcome])).toEqual([
      [0, 'sale', 'eligible'],
      [1, 'sale', 'refunded'],
    ]);
  });

  it('an event that fails sales.v1 (a 10-digit unitTax) is skipped loudly: an error with its event id, and counted', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: 'info',
      destination: { write: (line: string) => lines.push(JSON.parse(line)) },
    });
    const metrics = new Metrics();
    const line = orderLine();
    const event = { ...line.event('sale.recorded', 0, T0), unitTax: '1200000000.00' };
    await salesEventHandler(
      sales,
      logger,
      metrics,
    )({
      topic: 'sales.v1',
      partition: 0,
      offset: '7',
      key: line.orderId,
      value: Buffer.from(JSON.stringify(event)),
      headers: {},
    });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        eventId: event.eventId,
        type: 'sale.recorded',
        offset: '7',
        issues: ['unitTax: invalid_format'],
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain(line.fan.emailHash);
    expect(metrics.salesEvents.get('unknown|invalid')).toBe(1);
    const { rowCount } = await pool.query('SELECT 1 FROM located_sale WHERE order_line_id = $1', [line.orderLineId]);
    expect(rowCount).toBe(0);
  });

  it('a reversal of a unit that was never recorded (unit 7) is logged with ids only, and reverses no other unit', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: 'info',
      destination: { write: (line: string) => lines.push(JSON.parse(line)) },
    });
    const logged = new SalesService({
      db,
      pool,
      geo,
      logger,
      charts: ['luminate'],
      reportTimeZone: 'America/New_York',
    });
    const line = orderLine();
    const reversal = line.event('sale.reversed', 7, T0 + 2 * MINUTE);
    for (const event of [line.event('sale.recorded', 0, T0), line.event('sale.redeemed', 0, T0 + MINUTE), reversal])
      await logged.handle(event);
    expect(lines.filter((l) => l.level === 'warn')).toEqual([
      expect.objectContaining({
        eventId: reversal.eventId,
        orderId: line.orderId,
        orderLineId: line.orderLineId,
        unitIndex: 7,
        msg: 'sale.reversed names a unit that was never recorded: nothing reversed',
      }),
    ]);
    expect(JSON.stringify(lines)).not.toContain(line.fan.emailHash);
    expect((await saleLines(line.orderLineId)).map((r) => [r.unit_index, r.kind, r.outcome])).toEqual([
      [0, 'sale', 'eligible'],
    ]);
  });

  it("three-decimal currencies (KWD, BHD) keep their digits in the database and in the day's chart file", async () => {
    const kw = orderLine({
      currency: 'KWD',
      unitPriceNet: '1.234',
      unitPriceGross: '1.500',
      unitDiscount: '0.266',
      unitTax: '0.000',
      fan: { emailHash: 'kw-fan', billingCountry: 'KW' },
    });
    const bh = orderLine({
      currency: 'BHD',
      unitPriceNet: '2.505',
      unitPriceGross: '2.505',
      unitDiscount: '0.000',
      unitTax: '0.125',
      fan: { emailHash: 'bh-fan', billingCountry: 'BH' },
    });
    for (const line of [kw, bh])
      await handle(line.event('sale.recorded', 0, T0), line.event('sale.redeemed', 0, T0 + MINUTE));
    expect((await saleLines(kw.orderLineId, 'gulf')).map((r) => [r.outcome, r.net, r.gross, r.discount])).toEqual([
      ['eligible', '1.234', '1.500', '0.266'],
    ]);
    expect((await saleLines(bh.orderLineId, 'gulf')).map((r) => [r.outcome, r.net, r.tax])).toEqual([
      ['eligible', '2.505', '0.125'],
    ]);
    const { rows } = await pool.query(`SELECT net_price::text AS net FROM located_sale WHERE order_line_id = $1`, [
      kw.orderLineId,
    ]);
    expect(rows.map((r) => r.net)).toEqual(['1.234', '1.234']);
    // 15:01 UTC is 18:01 in Kuwait: that business day's file.
    const file = await buildChartFile(db, 'gulf', '2027-01-08', 'SINGLE-GULF');
    const prices = file.content
      .toString('utf8')
      .trim()
      .split('\r\n')
      .slice(1)
      .map((l) => l.split(',').slice(8, 10).join(' '));
    expect(prices.sort()).toEqual(['1.234 KWD', '2.505 BHD']);
  });
});
