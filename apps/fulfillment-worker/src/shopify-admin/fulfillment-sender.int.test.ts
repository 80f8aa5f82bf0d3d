import { useTestDatabase } from '@single/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadTokens } from '../grants/tokens.ts';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { applyRefund } from '../handlers/refund-create/apply-refund.ts';
import { type FakeShopifyAdmin, startFakeShopifyAdmin } from '../test-support/fake-shopify-admin.ts';
import { paidOrder, refundFixture, SHOP, seedCatalogue } from '../test-support/fixtures.ts';
import { ShopifyAdminClient } from './admin-client.ts';
import { FulfillmentSender } from './fulfillment-sender.ts';

const tokens = new DownloadTokens(['shopify-secret-shopify-secret-shopify-1']);

describe('Shopify digital fulfilment (local Admin API stand-in, PostgreSQL)', () => {
  const database = useTestDatabase();
  let pool: pg.Pool;
  let admin: FakeShopifyAdmin;
  let clock: Date;

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 3 });
    admin = await startFakeShopifyAdmin();
    admin.remaining.set('13001001', 1).set('13001002', 1);
    clock = new Date();
    await seedCatalogue(database().db, { now: clock });
    await database().db.shop.create({ data: { domain: SHOP, accessToken: 'shpat_test' } });
    await applySnapshots({ pool, tokens, now: () => clock }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
  });
  afterEach(async () => {
    await admin.close();
    await pool.end();
  });

  const sender = () =>
    new FulfillmentSender({
      pool,
      client: new ShopifyAdminClient({ apiVersion: '2026-10', urlTemplate: admin.urlTemplate }),
      retryDelaysMs: [1_000, 2_000, 3_000],
      now: () => clock,
    });

  it('fulfils the digital lines whose grants are active, once', async () => {
    expect(await sender().tick()).toBe(1);
    expect(await sender().tick()).toBe(0);
    expect(admin.calls.map((c) => [c.shop, c.accessToken, c.operation])).toEqual([
      [SHOP, 'shpat_test', 'FulfillmentOrders'],
      [SHOP, 'shpat_test', 'DigitalFulfillment'],
    ]);
    expect(admin.calls[0]!.variables).toEqual({ id: 'gid://shopify/Order/5550001001' });
    expect(admin.calls[1]!.variables).toEqual({
      fulfillment: {
        notifyCustomer: false,
        lineItemsByFulfillmentOrder: [
          {
            fulfillmentOrderId: 'gid://shopify/FulfillmentOrder/77',
            fulfillmentOrderLineItems: [{ id: 'gid://shopify/FulfillmentOrderLineItem/130010010', quantity: 1 }],
          },
        ],
      },
    });
    const row = await database().db.fulfillment.findFirstOrThrow();
    expect([row.status, row.shopifyFulfillmentId]).toEqual(['created', 901n]);
  });

  it('retries 429 and 5xx on the ladder and creates exactly one fulfilment', async () => {
    admin.failNext.push(429, 503);
    expect(await sender().tick()).toBe(1);
    let row = await database().db.fulfillment.findFirstOrThrow();
    expect([row.status, row.attempts, row.lastError]).toEqual([
      'pending',
      1,
      'ShopifyTransientError: Admin API answered 429',
    ]);
    clock = new Date(clock.getTime() + 1_000);
    expect(await sender().tick()).toBe(1);
    clock = new Date(clock.getTime() + 2_000);
    expect(await sender().tick()).toBe(1);
    row = await database().db.fulfillment.findFirstOrThrow();
    expect([row.status, row.attempts]).toEqual(['created', 3]);
    expect(admin.calls.filter((c) => c.operation === 'DigitalFulfillment')).toHaveLength(1);
  });

  it('sends nothing for lines Shopify already shows fulfilled, or whose grants were refunded since', async () => {
    admin.remaining.set('13001001', 0);
    expect(await sender().tick()).toBe(1);
    expect(admin.calls.map((c) => c.operation)).toEqual(['FulfillmentOrders']);
    expect((await database().db.fulfillment.findFirstOrThrow()).status).toBe('created');

    await applyRefund(database().db, SHOP, refundFixture(), clock);
    await database().db.fulfillment.updateMany({ data: { status: 'pending', nextAttemptAt: clock } });
    expect(await sender().tick()).toBe(1);
    expect(admin.calls).toHaveLength(1);
    expect((await database().db.fulfillment.findFirstOrThrow()).lastError).toBe('grants_revoked');
  });
});
