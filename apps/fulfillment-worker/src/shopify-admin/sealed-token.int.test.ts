import { randomBytes } from 'node:crypto';
import { parseShopTokenKeys, sealShopToken } from '@single/db/commands/shop-token';
import { useTestDatabase } from '@single/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadTokens } from '../grants/tokens.ts';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { type FakeShopifyAdmin, startFakeShopifyAdmin } from '../test-support/fake-shopify-admin.ts';
import { paidOrder, SHOP, seedCatalogue } from '../test-support/fixtures.ts';
import { ShopifyAdminClient } from './admin-client.ts';
import { FulfillmentSender } from './fulfillment-sender.ts';

// The OAuth install (artist API) stores the shop's Admin API token sealed (AES-256-GCM, SHOP_TOKEN_KEYS): the
// sender opens it for the call, and Shopify receives the token in clear, never the sealed form.

const tokens = new DownloadTokens(['shopify-secret-shopify-secret-shopify-1']);
const keys = parseShopTokenKeys(`k2:${randomBytes(32).toString('base64')},k1:${randomBytes(32).toString('base64')}`);

describe('Shopify fulfilment with a sealed shop token', () => {
  const database = useTestDatabase();
  let pool: pg.Pool;
  let admin: FakeShopifyAdmin;
  const clock = new Date();

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 3 });
    admin = await startFakeShopifyAdmin();
    admin.remaining.set('13001001', 1).set('13001002', 1);
    await seedCatalogue(database().db, { now: clock });
  });
  afterEach(async () => {
    await admin.close();
    await pool.end();
  });

  const run = async (stored: string, tokenKeys = keys) => {
    await database().db.shop.create({ data: { domain: SHOP, accessToken: stored } });
    await applySnapshots({ pool, tokens, now: () => clock }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    await new FulfillmentSender({
      pool,
      client: new ShopifyAdminClient({ apiVersion: '2026-10', urlTemplate: admin.urlTemplate }),
      retryDelaysMs: [1_000],
      now: () => clock,
      tokenKeys,
    }).tick();
    return database().db.fulfillment.findFirstOrThrow();
  };

  it('opens the token (sealed by an older key of the ring) and sends it in clear', async () => {
    const sealed = sealShopToken('shpat_from_oauth', SHOP, parseShopTokenKeys(`k1:${keys[1]!.key.toString('base64')}`));
    const row = await run(sealed);
    expect(row.status).toBe('created');
    expect(admin.calls.map((c) => c.accessToken)).toEqual(['shpat_from_oauth', 'shpat_from_oauth']);
  });

  it('fails the row as permanent, calling nobody, when the token does not open', async () => {
    const otherShop = sealShopToken('shpat_x', 'other.myshopify.com', keys);
    const row = await run(otherShop);
    expect([row.status, row.errorClass]).toEqual(['failed', 'permanent']);
    expect(row.lastError).toMatch(/does not open with key "k2"/);
    expect(row.lastError).not.toContain('shpat');
    expect(admin.calls).toEqual([]);
  });

  it('fails the row as permanent when the key is not configured', async () => {
    const row = await run(sealShopToken('shpat_y', SHOP, keys), []);
    expect([row.status, row.errorClass, row.lastError]).toEqual([
      'failed',
      'permanent',
      'ShopifyPermanentError: shop token key "k2" is not configured',
    ]);
    expect(admin.calls).toEqual([]);
  });
});
