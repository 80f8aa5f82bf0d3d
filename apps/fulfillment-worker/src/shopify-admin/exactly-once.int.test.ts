import { useTestDatabase } from '@single/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadTokens } from '../grants/tokens.ts';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { type FakeShopifyAdmin, startFakeShopifyAdmin } from '../test-support/fake-shopify-admin.ts';
import { paidOrder, SHOP, seedCatalogue } from '../test-support/fixtures.ts';
import { eventually } from '../test-support/worker-harness.ts';
import { ShopifyAdminClient } from './admin-client.ts';
import { FulfillmentSender } from './fulfillment-sender.ts';

const tokens = new DownloadTokens(['shopify-once-secret-shopify-once-secret-1']);

/**
 * Issue 15, side effects exactly once, for Shopify fulfilments: a `sending` state, the outcome written as soon
 * as Shopify answers, one idempotency key for every attempt of a row, and errors sorted into transient and
 * permanent.
 */
describe('Shopify fulfilment sender: sending state, idempotency key, error classes', () => {
  const database = useTestDatabase();
  let pool: pg.Pool;
  let admin: FakeShopifyAdmin;
  let clock: Date;

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 4 });
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

  const sender = (at: () => Date = () => clock) =>
    new FulfillmentSender({
      pool,
      client: new ShopifyAdminClient({ apiVersion: '2026-10', urlTemplate: admin.urlTemplate, timeoutMs: 60_000 }),
      retryDelaysMs: [1_000, 2_000],
      now: at,
    });
  const row = async () => database().db.fulfillment.findFirstOrThrow();
  const creates = () => admin.calls.filter((c) => c.operation === 'DigitalFulfillment');

  // The stand-in behaves as Shopify's docs say: no deduplication of fulfillmentCreate by Idempotency-Key, and a
  // user error for a quantity beyond what is left. The key is still sent on every attempt of a row.
  it('an answer lost after Shopify created it, and a read that lags: the repeat is refused, retried, and ends created without a second fulfilment', async () => {
    admin.loseAnswerNext = 1;
    admin.staleReads = true; // the retry's read does not show the first create yet
    expect(await sender().tick()).toBe(1);
    expect([(await row()).status, (await row()).attempts, (await row()).uncertainSends]).toEqual(['pending', 1, 1]);
    clock = new Date(clock.getTime() + 1_000);
    expect(await sender().tick()).toBe(1);
    // Shopify refused the repeat (nothing left to fulfil): not a permanent failure after an unknown outcome.
    expect([(await row()).status, (await row()).errorClass]).toEqual(['pending', null]);
    admin.staleReads = false; // the read catches up
    clock = new Date(clock.getTime() + 2_000);
    expect(await sender().tick()).toBe(1);

    expect(admin.created).toBe(1);
    const { id } = await row();
    expect(creates().map((c) => c.idempotencyKey)).toEqual([id, id]);
    const settled = await row();
    expect([settled.status, settled.uncertainSends]).toEqual(['created', 1]);
  });

  it('is `sending` while Shopify works on it; found so after the lease, it is sent again, refused, and ends created once', async () => {
    let answer: () => void = () => undefined;
    admin.holdCreateAnswer = new Promise<void>((resolve) => {
      answer = resolve;
    });
    admin.staleReads = true;
    const first = sender().tick(); // this sender dies before Shopify's answer arrives
    await eventually(async () => expect(admin.created).toBe(1), 10_000);
    expect((await row()).status).toBe('sending');

    let later = new Date(clock.getTime() + 120_001);
    admin.holdCreateAnswer = undefined;
    expect(await sender(() => later).tick()).toBe(1);
    expect([(await row()).status, (await row()).uncertainSends]).toEqual(['pending', 1]);
    admin.staleReads = false;
    later = new Date(later.getTime() + 2_000);
    expect(await sender(() => later).tick()).toBe(1);
    expect(admin.created).toBe(1);
    const settled = await row();
    expect([settled.status, settled.uncertainSends]).toEqual(['created', 1]);
    answer();
    await first; // its late outcome finds the row no longer its own
    expect([(await row()).status, (await row()).uncertainSends]).toEqual(['created', 1]);
  });

  it('a refusal with no earlier attempt of unknown fate is permanent', async () => {
    admin.refuseCreatesNext = 1;
    expect(await sender().tick()).toBe(1);
    const settled = await row();
    expect([settled.status, settled.errorClass, admin.created]).toEqual(['failed', 'permanent', 0]);
  });

  it.each([
    [400, 'failed', 'permanent'],
    [404, 'failed', 'permanent'],
    [429, 'pending', null],
    [502, 'pending', null],
  ] as const)('answered %i: %s, class %s', async (status, outcome, errorClass) => {
    admin.failNext.push(status);
    expect(await sender().tick()).toBe(1);
    const settled = await row();
    expect([settled.status, settled.errorClass]).toEqual([outcome, errorClass]);
  });

  it('ends failed as transient once the ladder is over', async () => {
    admin.failNext.push(503, 503, 503);
    for (let i = 0; i < 3; i++) {
      expect(await sender().tick()).toBe(1);
      clock = new Date(clock.getTime() + 2_000);
    }
    const settled = await row();
    expect([settled.status, settled.errorClass, settled.attempts]).toEqual(['failed', 'transient', 3]);
  });
});
