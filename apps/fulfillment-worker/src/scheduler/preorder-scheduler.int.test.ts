import { useTestDatabase } from '@single/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadTokens } from '../grants/tokens.ts';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { applyRefund } from '../handlers/refund-create/apply-refund.ts';
import { type Catalogue, paidOrder, refundFixture, SHOP, seedCatalogue } from '../test-support/fixtures.ts';
import { PreorderScheduler } from './preorder-scheduler.ts';

const tokens = new DownloadTokens(['sched-secret-sched-secret-sched-secret-1']);

describe('pre-order scheduler (PostgreSQL, test clock)', () => {
  const database = useTestDatabase();
  let pool: pg.Pool;
  let catalogue: Catalogue;
  let clock: Date;
  const start = new Date();

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 4 });
    clock = start;
    catalogue = await seedCatalogue(database().db, { now: start });
    await applySnapshots({ pool, tokens, now: () => start }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
  });
  afterEach(async () => {
    await pool.end();
  });

  const preorderGrant = () =>
    database().db.downloadGrant.findFirstOrThrow({ where: { releaseId: catalogue.preorderAlbum } });

  it('activates a pre-order at its instant and not before; emails and fulfils it once', async () => {
    const scheduler = new PreorderScheduler({ pool, now: () => clock });
    clock = new Date(catalogue.trackInstant.getTime() - 1);
    expect(await scheduler.tick()).toBe(0);
    expect((await preorderGrant()).status).toBe('scheduled');

    clock = catalogue.trackInstant;
    expect(await scheduler.tick()).toBe(1);
    const grant = await preorderGrant();
    expect([grant.status, grant.activatedAt]).toEqual(['active', catalogue.trackInstant]);
    expect(grant.expiresAt).toBeNull(); // the release's links never expire (0 days)

    // A scheduler started later (a restart) finds nothing left to do.
    expect(await new PreorderScheduler({ pool, now: () => new Date(clock.getTime() + 86_400_000) }).tick()).toBe(0);

    const emails = await database().db.emailMessage.findMany({ orderBy: { createdAt: 'asc' } });
    expect(emails.map((e) => e.kind)).toEqual(['order_downloads', 'preorder_available']);
    expect((emails[1]!.payload as { items: { grantIds: string[] }[] }).items[0]!.grantIds).toEqual([grant.id]);
    const fulfillments = await database().db.fulfillment.findMany({ orderBy: { createdAt: 'asc' } });
    expect(fulfillments.map((f) => f.lineItemIds)).toEqual([[13001001n], [13001002n]]);
  });

  it('never activates twice when replicas tick at the same moment', async () => {
    clock = catalogue.preorderInstant;
    const results = await Promise.all(
      Array.from({ length: 4 }, () => new PreorderScheduler({ pool, now: () => clock }).tick()),
    );
    const more = await new PreorderScheduler({ pool, now: () => clock }).tick();
    expect(results.reduce((a, b) => a + b, 0) + more).toBe(1);
    expect(await database().db.emailMessage.count({ where: { kind: 'preorder_available' } })).toBe(1);
  });

  it('a refunded pre-order is cancelled: never activated, never emailed', async () => {
    await applyRefund(
      pool,
      SHOP,
      refundFixture({ refund_line_items: [{ line_item_id: 13001002, quantity: 1 }] }),
      start,
    );
    clock = catalogue.preorderInstant;
    expect(await new PreorderScheduler({ pool, now: () => clock }).tick()).toBe(0);
    expect((await preorderGrant()).status).toBe('revoked');
    expect(await database().db.emailMessage.count({ where: { kind: 'preorder_available' } })).toBe(0);
  });
});
