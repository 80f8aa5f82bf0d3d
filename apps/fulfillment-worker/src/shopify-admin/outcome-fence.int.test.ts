import { useTestDatabase } from '@single/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadTokens } from '../grants/tokens.ts';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { OutboxMetrics } from '../support/outbox-metrics.ts';
import { type FakeShopifyAdmin, startFakeShopifyAdmin } from '../test-support/fake-shopify-admin.ts';
import { paidOrder, SHOP, seedCatalogue } from '../test-support/fixtures.ts';
import { ShopifyAdminClient } from './admin-client.ts';
import { FulfillmentSender } from './fulfillment-sender.ts';

const tokens = new DownloadTokens(['fulfil-fence-secret-fulfil-fence-000001']);

// Issue 15 review: an outcome whose fence does not match (another sender claimed the row) wrote nothing to the
// row but still counted the failure in fulfillment_outbox_failures_total.
describe('Shopify fulfilment outcome whose fence does not match (local Admin API stand-in, PostgreSQL)', () => {
  const database = useTestDatabase();
  let pool: pg.Pool;
  let admin: FakeShopifyAdmin;

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 3 });
    admin = await startFakeShopifyAdmin();
    admin.remaining.set('13001001', 1).set('13001002', 1);
    await seedCatalogue(database().db, { now: new Date() });
    await database().db.shop.create({ data: { domain: SHOP, accessToken: 'shpat_test' } });
    await applySnapshots({ pool, tokens, now: () => new Date() }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
  });
  afterEach(async () => {
    await admin.close();
    await pool.end();
  });

  it('counts no failure and leaves the row to its new owner', async () => {
    const metrics = new OutboxMetrics();
    /** Another sender claims the row (attempts + 1) while this one's call is in flight. */
    class Overtaken extends ShopifyAdminClient {
      override async graphql<T>(...args: Parameters<ShopifyAdminClient['graphql']>): Promise<T> {
        await pool.query('UPDATE fulfillment SET attempts = attempts + 1');
        return super.graphql<T>(...args);
      }
    }
    admin.failNext.push(503); // no ladder left: this attempt's outcome is `failed`
    const sender = new FulfillmentSender({
      pool,
      client: new Overtaken({ apiVersion: '2026-10', urlTemplate: admin.urlTemplate }),
      retryDelaysMs: [],
      metrics,
    });
    expect(await sender.tick()).toBe(1);
    const text = await metrics.registry.metrics();
    expect(text.split('\n').filter((l) => l.startsWith('fulfillment_outbox_failures_total{'))).toEqual([]);
    const row = await database().db.fulfillment.findFirstOrThrow();
    expect([row.status, row.errorClass, row.attempts]).toEqual(['sending', null, 2]);
  });
});
