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

  const availableEmails = () =>
    database().db.emailMessage.findMany({ where: { kind: 'preorder_available' }, orderBy: { createdAt: 'asc' } });

  it("activates a pre-order at its release instant, not at its instant-grat track's; emails and fulfils it once", async () => {
    const scheduler = new PreorderScheduler({ db: database().db, now: () => clock });
    // The instant-grat track is out: its link already serves it, but the release is not here yet.
    clock = catalogue.trackInstant;
    expect(await scheduler.tick()).toBe(0);
    clock = new Date(catalogue.preorderInstant.getTime() - 1);
    expect(await scheduler.tick()).toBe(0);
    expect((await preorderGrant()).status).toBe('scheduled');
    expect(await availableEmails()).toEqual([]);

    clock = catalogue.preorderInstant;
    expect(await scheduler.tick()).toBe(1);
    const grant = await preorderGrant();
    expect([grant.status, grant.activatedAt, grant.activateAt]).toEqual([
      'active',
      catalogue.preorderInstant,
      catalogue.preorderInstant,
    ]);
    expect(grant.expiresAt).toBeNull(); // the release's links never expire (0 days)

    // A scheduler started later (a restart) finds nothing left to do.
    expect(
      await new PreorderScheduler({ db: database().db, now: () => new Date(clock.getTime() + 86_400_000) }).tick(),
    ).toBe(0);

    const emails = await database().db.emailMessage.findMany({ orderBy: { createdAt: 'asc' } });
    expect(emails.map((e) => e.kind)).toEqual(['order_downloads', 'preorder_available']);
    expect((emails[1]!.payload as { items: { grantIds: string[] }[] }).items[0]!.grantIds).toEqual([grant.id]);
    const fulfillments = await database().db.fulfillment.findMany({ orderBy: { createdAt: 'asc' } });
    expect(fulfillments.map((f) => f.lineItemIds)).toEqual([[13001001n], [13001002n]]);
  });

  // The artist API writes the catalogue (release.release_instant, track.release_instant); the worker's
  // grants and emails must follow it, earlier or later, with nothing re-written by the API.
  const retime = async (releaseInstant: Date, trackInstant: Date) => {
    await pool.query('UPDATE release SET release_instant = $2, updated_at = now() WHERE id = $1', [
      catalogue.preorderAlbum,
      releaseInstant,
    ]);
    await pool.query('UPDATE track SET release_instant = $2 WHERE release_id = $1 AND position = 1', [
      catalogue.preorderAlbum,
      trackInstant,
    ]);
  };

  it('a release moved earlier opens at its new instant, with its one "it\'s here" email', async () => {
    const earlier = new Date(start.getTime() + 2 * 86_400_000);
    await retime(earlier, new Date(start.getTime() + 86_400_000));
    const scheduler = new PreorderScheduler({ db: database().db, now: () => clock });
    clock = new Date(earlier.getTime() - 1);
    expect(await scheduler.tick()).toBe(0);
    clock = earlier;
    expect(await scheduler.tick()).toBe(1);
    expect(await preorderGrant()).toMatchObject({ status: 'active', activateAt: earlier, activatedAt: earlier });
    clock = catalogue.preorderInstant; // the old instant passes: nothing more
    expect(await scheduler.tick()).toBe(0);
    const emails = await availableEmails();
    expect(emails).toHaveLength(1);
    expect((emails[0]!.payload as { items: { availableAt: string }[] }).items[0]!.availableAt).toBe(
      earlier.toISOString(),
    );
  });

  it('a release moved later does not open at its old instant', async () => {
    const later = new Date(start.getTime() + 20 * 86_400_000);
    await retime(later, catalogue.trackInstant);
    const scheduler = new PreorderScheduler({ db: database().db, now: () => clock });
    clock = catalogue.preorderInstant;
    expect(await scheduler.tick()).toBe(0);
    expect((await preorderGrant()).status).toBe('scheduled');
    expect(await availableEmails()).toEqual([]);
    // Moved back and forth before it is due: still one activation, one email, at the last instant set.
    await retime(new Date(later.getTime() + 86_400_000), catalogue.trackInstant);
    await retime(later, catalogue.trackInstant);
    clock = later;
    expect(await scheduler.tick()).toBe(1);
    clock = new Date(later.getTime() + 2 * 86_400_000);
    expect(await scheduler.tick()).toBe(0);
    expect(await availableEmails()).toHaveLength(1);
  });

  it("a track sale's grant opens at its track's own instant", async () => {
    const track = await database().db.track.findFirstOrThrow({
      where: { releaseId: catalogue.preorderAlbum, position: 1 },
    });
    // The worker fills track_id for a line mapped to one track; the scheduler honours it.
    await pool.query('UPDATE download_grant SET track_id = $2 WHERE release_id = $1', [
      catalogue.preorderAlbum,
      track.id,
    ]);
    const scheduler = new PreorderScheduler({ db: database().db, now: () => clock });
    clock = new Date(catalogue.trackInstant.getTime() - 1);
    expect(await scheduler.tick()).toBe(0);
    clock = catalogue.trackInstant;
    expect(await scheduler.tick()).toBe(1);
    expect(await availableEmails()).toHaveLength(1);
  });

  it('never activates twice when replicas tick at the same moment', async () => {
    clock = catalogue.preorderInstant;
    const results = await Promise.all(
      Array.from({ length: 4 }, () => new PreorderScheduler({ db: database().db, now: () => clock }).tick()),
    );
    const more = await new PreorderScheduler({ db: database().db, now: () => clock }).tick();
    expect(results.reduce((a, b) => a + b, 0) + more).toBe(1);
    expect(await database().db.emailMessage.count({ where: { kind: 'preorder_available' } })).toBe(1);
  });

  it('a refunded pre-order is cancelled: never activated, never emailed', async () => {
    await applyRefund(
      database().db,
      SHOP,
      refundFixture({ refund_line_items: [{ line_item_id: 13001002, quantity: 1 }] }),
      start,
    );
    clock = catalogue.preorderInstant;
    expect(await new PreorderScheduler({ db: database().db, now: () => clock }).tick()).toBe(0);
    expect((await preorderGrant()).status).toBe('revoked');
    expect(await database().db.emailMessage.count({ where: { kind: 'preorder_available' } })).toBe(0);
  });
});
