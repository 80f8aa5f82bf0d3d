import { randomBytes } from 'node:crypto';
import { type SalesEventV1, sealSalesEvent } from '@single/contracts';
import { readDataRequestExport, sweepExpiredDataRequestExports } from '@single/db/commands/data-request-exports';
import { useTestDatabase } from '@single/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadTokens } from '../grants/tokens.ts';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { customersDataRequest } from '../shopify/payloads.ts';
import { paidOrder, SHOP, seedCatalogue, shopifyFixture } from '../test-support/fixtures.ts';
import { exportCustomerData } from './privacy.service.ts';

// Issue 14 (privacy that holds): customers/data_request builds the complete export (downloads with their IPs and
// the geo beacon's captures were left out), the merchant can fetch it, and it expires.

const tokens = new DownloadTokens(['data-request-secret-data-request-secret-01']);
const CHECKOUT = 'c1a2b3c4d5e6f708192a3b4c5d6e7f80'; // the fixture order's checkout token
const DAY = 86_400_000;

interface Exported {
  format: string;
  expiresAt: string;
  orders: {
    orderId: string;
    email: string;
    browserIp: string;
    checkoutToken: string;
    lines: { grants: { status: string; downloads: { clientIp: string; format: string }[] }[] }[];
    emails: { to: string }[];
    geoCaptures: { clientIp: string; postal: string; city: string }[];
    salesEvents: { type: string; fan: Record<string, unknown> }[];
  }[];
}

describe('customers/data_request export', () => {
  const database = useTestDatabase();
  let pool: pg.Pool;
  const now = new Date('2026-11-21T10:00:00Z');
  const db = () => database().db;

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 3 });
    await seedCatalogue(db(), { now });
    await applySnapshots({ pool, tokens, now: () => now }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    const grant = await db().downloadGrant.findFirstOrThrow({ where: { status: 'active' }, orderBy: { id: 'asc' } });
    // artist-api's redemption route and geo-reporting's capture route, as they write.
    await db().download.create({ data: { grantId: grant.id, format: 'flac', clientIp: '216.160.83.56' } });
    await db().geoCapture.create({
      data: {
        shopDomain: SHOP,
        checkoutToken: CHECKOUT,
        clientIp: '216.160.83.57',
        chain: ['216.160.83.57'],
        flags: [],
        precision: 'postal',
        country: 'US',
        region: 'WA',
        city: 'Milton',
        postal: '98354',
      },
    });
    // Another checkout's capture: not the customer's.
    await db().geoCapture.create({
      data: {
        shopDomain: SHOP,
        checkoutToken: 'someone-else',
        clientIp: '8.8.8.8',
        chain: [],
        flags: [],
        precision: 'country',
      },
    });
  });
  afterEach(async () => {
    await pool.end();
  });

  it('holds the located sales, the chart lines’ ZIPs, the raw payloads still held, and the sealed fan facts opened', async () => {
    const order = '5550001001';
    await pool.query(
      `INSERT INTO located_sale (event_id, type, shop_domain, order_id, order_line_id, release_id, quantity, net_price,
         currency, source, precision, country, region, city, postal, occurred_at)
       SELECT gen_random_uuid(), 'sale.recorded', $1, $2, 'l1', id, 1, 9.99, 'USD', 'geo_capture', 'postal', 'US', 'WA',
         'Milton', '98354', now() FROM release LIMIT 1`,
      [SHOP, order],
    );
    await pool.query(
      `INSERT INTO sale_line (chart, kind, eligibility, shop_domain, order_id, order_line_id, unit_index, release_id,
         zip, country, quantity, net_price, currency, occurred_at, updated_at)
       SELECT 'luminate-us', 'sale', 'eligible', $1, $2, 'l1', 0, id, '98354', 'US', 1, 9.99, 'USD', now(), now()
       FROM release LIMIT 1`,
      [SHOP, order],
    );
    await pool.query(
      `INSERT INTO webhook_delivery (shop_domain, topic, webhook_id, body_sha256, dedupe_family, lane, payload,
         shopify_order_id) VALUES ($1, 'orders/paid', 'export-1', repeat('b', 64), 'orders', 'orders', '{"id":5550001001}', $2)`,
      [SHOP, order],
    );
    // The relay sealed one event (sales.v1 version 2): only the countries stay in clear.
    const { rows: outbox } = await pool.query<{ id: string; payload: SalesEventV1 }>(
      'SELECT id::text, payload FROM sales_outbox ORDER BY id LIMIT 1',
    );
    const key = { id: crypto.randomUUID(), key: randomBytes(32) };
    await pool.query(`INSERT INTO fan_data_key (id, shop_domain, subject, key) VALUES ($1, $2, 'customer:1', $3)`, [
      key.id,
      SHOP,
      key.key,
    ]);
    const sealed = sealSalesEvent(outbox[0]!.payload, key);
    expect(sealed.fanSealed).toBeDefined();
    await pool.query('UPDATE sales_outbox SET payload = $2 WHERE id = $1', [outbox[0]!.id, JSON.stringify(sealed)]);

    const data = (await exportCustomerData(
      db(),
      SHOP,
      customersDataRequest.parse(shopifyFixture('customers/data_request')),
      now,
    )) as unknown as Exported & {
      webhookPayloads: { payload: string }[];
      orders: { locatedSales: unknown[]; chartLines: unknown[]; salesEvents: { fan: Record<string, unknown> }[] }[];
    };
    const [o] = data.orders;
    expect(o!.locatedSales).toEqual([expect.objectContaining({ postal: '98354', city: 'Milton', region: 'WA' })]);
    expect(o!.chartLines).toEqual([expect.objectContaining({ zip: '98354', chart: 'luminate-us' })]);
    expect(data.webhookPayloads).toEqual([
      expect.objectContaining({ topic: 'orders/paid', payload: '{"id":5550001001}' }),
    ]);
    expect(o!.salesEvents[0]!.fan).toEqual(outbox[0]!.payload.fan);
  });

  it('gives each line its price as stored, scale included (10.00, not 10)', async () => {
    await pool.query(`UPDATE order_line SET price = '10.00'`);
    const data = (await exportCustomerData(
      db(),
      SHOP,
      customersDataRequest.parse(shopifyFixture('customers/data_request')),
      now,
    )) as unknown as { orders: { lines: { price: string }[] }[] };
    const prices = data.orders.flatMap((o) => o.lines.map((l) => l.price));
    expect(prices.length).toBeGreaterThan(0);
    expect(prices.every((p) => p === '10.00')).toBe(true);
  });

  it('holds orders, lines, grants, downloads with IPs, emails, geo captures and sales fan facts; expires after 30 days', async () => {
    await exportCustomerData(db(), SHOP, customersDataRequest.parse(shopifyFixture('customers/data_request')), now);

    const read = await readDataRequestExport(pool, { shopDomain: SHOP, id: '8880001', now });
    expect(read.status).toBe('ready');
    if (read.status !== 'ready') return;
    const data = read.export as unknown as Exported;
    expect(data.format).toBe('single.customer-data.v1');
    expect(read.expiresAt.toISOString()).toBe(new Date(now.getTime() + 30 * DAY).toISOString());
    expect(data.orders).toHaveLength(1);
    const [order] = data.orders;
    expect(order).toMatchObject({ orderId: '5550001001', email: 'riley.fan@example.com', checkoutToken: CHECKOUT });
    const downloads = order!.lines.flatMap((l) => l.grants.flatMap((g) => g.downloads));
    expect(downloads).toEqual([expect.objectContaining({ clientIp: '216.160.83.56', format: 'flac' })]);
    expect(order!.lines.flatMap((l) => l.grants)).toHaveLength(3);
    expect(order!.emails).toEqual([expect.objectContaining({ to: 'riley.fan@example.com' })]);
    expect(order!.geoCaptures).toEqual([
      expect.objectContaining({ clientIp: '216.160.83.57', postal: '98354', city: 'Milton' }),
    ]);
    expect(order!.salesEvents.length).toBeGreaterThan(0);
    expect(order!.salesEvents.every((e) => e.type === 'sale.recorded' && e.fan && typeof e.fan === 'object')).toBe(
      true,
    );

    // The same export by its own id; another shop's domain finds nothing.
    expect((await readDataRequestExport(pool, { shopDomain: SHOP, id: read.id, now })).status).toBe('ready');
    expect((await readDataRequestExport(pool, { shopDomain: 'other.myshopify.com', id: read.id, now })).status).toBe(
      'not_found',
    );

    // Expiry: past its instant it is never handed out, and the sweep deletes the data (the row says "gone").
    const later = new Date(now.getTime() + 30 * DAY + 1);
    expect((await readDataRequestExport(pool, { shopDomain: SHOP, id: read.id, now: later })).status).toBe('expired');
    expect(await sweepExpiredDataRequestExports(pool, new Date(now.getTime() + 29 * DAY))).toBe(0);
    expect(await sweepExpiredDataRequestExports(pool, later)).toBe(1);
    expect((await db().dataRequestExport.findFirstOrThrow()).payload).toBeNull();
    expect((await readDataRequestExport(pool, { shopDomain: SHOP, id: '8880001', now })).status).toBe('expired');
  });
});
