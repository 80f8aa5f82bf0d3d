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

  it('holds orders, lines, grants, downloads with IPs, emails, geo captures and sales fan facts; expires after 30 days', async () => {
    await exportCustomerData(pool, SHOP, customersDataRequest.parse(shopifyFixture('customers/data_request')), now);

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
