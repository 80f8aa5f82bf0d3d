import { installShop } from '@single/db/commands/shop-install';
import { useTestDatabase } from '@single/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadTokens } from '../grants/tokens.ts';
import { uninstallInstant } from '../handlers/install-window.ts';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { applyRefund } from '../handlers/refund-create/apply-refund.ts';
import { paidOrder, refundFixture, SHOP, seedCatalogue } from '../test-support/fixtures.ts';
import { markShopUninstalled } from './privacy.service.ts';

// Issue 14 (privacy that holds): app/uninstalled is judged by the order's own time, and a shop can be
// installed again. Shopify retries a delivery for hours, so an order paid before the uninstall can reach the
// worker after it.

const tokens = new DownloadTokens(['install-state-secret-install-state-secret-1']);
const UNINSTALLED_AT = new Date('2026-11-20T12:00:00Z');

/** A paid order placed at `createdAt`, with its own ids (line ids are unique across orders). */
const order = (n: number, createdAt: string) =>
  paidOrder({
    id: 5550003000 + n,
    admin_graphql_api_id: `gid://shopify/Order/${5550003000 + n}`,
    created_at: createdAt,
    updated_at: createdAt,
    line_items: paidOrder().line_items.map((l) => ({ ...l, id: Number(l.id) + n * 1_000_000 })),
  });

describe('uninstall by the order’s own time, and reinstall', () => {
  const database = useTestDatabase();
  let pool: pg.Pool;
  const now = new Date('2026-11-21T09:00:00Z'); // the queue is processed a day later
  const apply = (snapshot: ReturnType<typeof paidOrder>) =>
    applySnapshots({ pool, tokens, now: () => now }, [{ shopDomain: SHOP, snapshot }]);
  const grantsOf = (shopifyOrderId: number) =>
    database().db.downloadGrant.count({ where: { orderLine: { order: { shopifyOrderId: BigInt(shopifyOrderId) } } } });

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 3 });
    await seedCatalogue(database().db, { now: new Date('2026-11-01T00:00:00Z') });
    await pool.query(`UPDATE shop SET installed_at = '2026-11-01T00:00:00Z' WHERE domain = $1`, [SHOP]);
    await markShopUninstalled(database().db, SHOP, UNINSTALLED_AT, now);
  });
  afterEach(async () => {
    await pool.end();
  });

  it('fulfils an order placed before the uninstall instant, drops one placed after it', async () => {
    const before = order(1, '2026-11-20T11:59:00Z');
    const after = order(2, '2026-11-20T12:01:00Z');
    expect((await apply(before))[0]).toMatchObject({ status: 'applied', grantsCreated: 3 });
    expect(await apply(after)).toEqual([{ status: 'shop_uninstalled' }]);
    expect(await grantsOf(5550003001)).toBe(3);
    expect(await grantsOf(5550003002)).toBe(0);
    // Its refund still revokes, though the shop is gone by then.
    const refund = refundFixture({
      order_id: 5550003001,
      created_at: '2026-11-20T13:00:00Z',
      refund_line_items: [{ line_item_id: before.line_items[0]!.id, quantity: 1 }],
    });
    expect(await applyRefund(database().db, SHOP, refund, now)).toMatchObject({ status: 'applied' });
  });

  it('a reinstall sets the shop installed again and its new orders fulfil; a stale uninstall changes nothing', async () => {
    const reinstalledAt = new Date('2026-11-22T08:00:00Z');
    const shop = await installShop(pool, { domain: SHOP, now: reinstalledAt });
    expect(shop).toMatchObject({ installState: 'installed', existed: true, previousState: 'uninstalled' });
    const row = await database().db.shop.findUniqueOrThrow({ where: { domain: SHOP } });
    expect([row.installState, row.uninstalledAt, row.accountId]).toEqual(['installed', null, shop.accountId]);

    expect((await apply(order(3, '2026-11-22T09:00:00Z')))[0]).toMatchObject({ status: 'applied', grantsCreated: 3 });
    // A copy of the old app/uninstalled (triggered before the reinstall) processed late: still installed.
    await markShopUninstalled(database().db, SHOP, UNINSTALLED_AT, new Date('2026-11-22T10:00:00Z'));
    expect((await database().db.shop.findUniqueOrThrow({ where: { domain: SHOP } })).installState).toBe('installed');
    expect((await apply(order(4, '2026-11-22T11:00:00Z')))[0]).toMatchObject({ status: 'applied', grantsCreated: 3 });
  });

  it('an unsigned Triggered-At out of bounds counts as the received time: 2099 lets no later order in, 1971 is not lost', async () => {
    const reinstalledAt = new Date('2026-11-22T08:00:00Z');
    await installShop(pool, { domain: SHOP, now: reinstalledAt });
    const received = '2026-11-23T10:00:00.000Z';
    // 1971: before the reinstall, so taken as stale today and the shop stays installed.
    await markShopUninstalled(database().db, SHOP, uninstallInstant('1971-01-01T00:00:00Z', received), now);
    const row = await database().db.shop.findUniqueOrThrow({ where: { domain: SHOP } });
    expect([row.installState, row.uninstalledAt?.toISOString()]).toEqual(['uninstalled', received]);
    expect(await apply(order(5, '2026-11-23T11:00:00Z'))).toEqual([{ status: 'shop_uninstalled' }]);

    await installShop(pool, { domain: SHOP, now: new Date('2026-11-24T08:00:00Z') });
    // 2099: would let every order of the next 70 years in.
    await markShopUninstalled(
      database().db,
      SHOP,
      uninstallInstant('2099-01-01T00:00:00Z', '2026-11-24T10:00:00.000Z'),
      now,
    );
    expect(await apply(order(6, '2026-11-24T11:00:00Z'))).toEqual([{ status: 'shop_uninstalled' }]);
  });
});
