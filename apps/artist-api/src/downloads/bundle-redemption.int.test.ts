import { randomBytes } from 'node:crypto';
import { salesEventV1 } from '@single/contracts';
import { createTenantDb } from '@single/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedArtist, seedRelease, seedShop } from '../test-support/seed.ts';
import { hashToken, RedemptionService } from './redemption.service.ts';

// A bundle line grants every release, but each unit reports one (download_grant.reported). Only a download
// of the reported release's grant redeems its unit, once, naming the unit; the other releases' downloads
// emit nothing.

describe('sale.redeemed for a bundle line (PostgreSQL)', () => {
  let h: Harness;
  let service: RedemptionService;
  let shopDomain: string;
  let reported: string;
  let other: string;
  beforeAll(async () => {
    h = await startHarness();
    const account = await seedAccount(h.pool, 'Bundles');
    shopDomain = 'bundles.myshopify.com';
    await seedShop(h.pool, account.accountId, shopDomain);
    const artistId = await seedArtist(h.pool, account.accountId);
    reported = (await seedRelease(h.pool, artistId, { title: 'Reported' })).id;
    other = (await seedRelease(h.pool, artistId, { title: 'Also in the bundle' })).id;
    service = new RedemptionService(h.pool, createTenantDb(h.pool), () => new Date());
  });
  afterAll(() => h?.close());

  /** One paid line of 2 units at 9.99 with 1.00 off, both releases granted per unit; tokens by release and unit. */
  async function seedBundleLine() {
    const order = await h.pool.query<{ id: string }>(
      `INSERT INTO orders (shop_domain, shopify_order_id, name, financial_status, currency, email, billing_zip,
                           billing_country, shopify_created_at, shopify_updated_at, updated_at)
       VALUES ($1, $2, '#2001', 'paid', 'USD', 'fan@example.com', '98354', 'US', now(), now(), now()) RETURNING id`,
      [shopDomain, 6_000_000_000 + Math.floor(Math.random() * 1e6)],
    );
    const line = await h.pool.query<{ id: string }>(
      `INSERT INTO order_line (order_id, shopify_line_id, variant_id, quantity, price, discount_total, tax_total,
                               net_total, requires_shipping, release_id)
       VALUES ($1, $2, 42, 2, '9.99', '1.00', '0', '18.98', false, $3) RETURNING id`,
      [order.rows[0]!.id, 8_000_000_000 + Math.floor(Math.random() * 1e6), reported],
    );
    const tokens = new Map<string, string>();
    for (const releaseId of [reported, other]) {
      for (const unit of [0, 1]) {
        const token = randomBytes(32).toString('base64url');
        await h.pool.query(
          `INSERT INTO download_grant (token_hash, order_line_id, release_id, unit_index, status, activate_at,
                                       download_limit, activated_at, reported)
           VALUES ($1, $2, $3, $4, 'active', now() - interval '1 minute', 3, now(), $5)`,
          [hashToken(token), line.rows[0]!.id, releaseId, unit, releaseId === reported],
        );
        tokens.set(`${releaseId}:${unit}`, token);
      }
    }
    return tokens;
  }
  const redeemed = async () =>
    (
      await h.pool.query<{ payload: unknown }>(
        `SELECT payload FROM sales_outbox WHERE payload->>'type' = 'sale.redeemed' AND payload->>'shopDomain' = $1 ORDER BY id`,
        [shopDomain],
      )
    ).rows.map((r) => salesEventV1.parse(r.payload));

  it("downloads of the bundle's other release redeem nothing; the reported release's redeems its own unit once", async () => {
    const tokens = await seedBundleLine();
    const download = (releaseId: string, unit: number) =>
      service.redeem(hashToken(tokens.get(`${releaseId}:${unit}`)!), { format: 'flac', track: null }, null);

    expect(await download(other, 0)).toMatchObject({ state: 'ok', first: true });
    expect(await redeemed()).toEqual([]);

    expect(await download(reported, 1)).toMatchObject({ state: 'ok', first: true });
    expect(await download(reported, 1)).toMatchObject({ state: 'ok', first: false });
    expect(await download(other, 1)).toMatchObject({ state: 'ok', first: true });
    const events = await redeemed();
    expect(events.map((e) => [e.releaseId, e.unitIndex, e.quantity])).toEqual([[reported, 1, 1]]);
    // The same amounts as the unit's sale.recorded: 1.00 off two units is 0.50 each.
    expect(events[0]).toMatchObject({ unitPriceNet: '9.49', unitPriceGross: '9.99', unitDiscount: '0.50' });
  });

  it('redeems the release and amounts the unit was recorded under, whatever the line and its mapping say now', async () => {
    // A merch bundle unit recorded for `reported` at 9.67 (0.33 off) as an approved fan pack. Since then the
    // line was edited (3.00 off), its reported release moved to `other` and the fan-pack approval was revoked.
    const order = await h.pool.query<{ id: string }>(
      `INSERT INTO orders (shop_domain, shopify_order_id, name, financial_status, currency, email, billing_zip,
                           billing_country, shopify_created_at, shopify_updated_at, updated_at)
       VALUES ($1, $2, '#2002', 'paid', 'USD', 'fan@example.com', '98354', 'US', now(), now(), now()) RETURNING id`,
      [shopDomain, 6_100_000_000 + Math.floor(Math.random() * 1e6)],
    );
    const line = await h.pool.query<{ id: string }>(
      `INSERT INTO order_line (order_id, shopify_line_id, variant_id, quantity, price, discount_total, tax_total,
                               net_total, requires_shipping, release_id, fan_pack)
       VALUES ($1, $2, 43, 3, '10.00', '3.00', '0', '27.00', true, $3, false) RETURNING id`,
      [order.rows[0]!.id, 8_100_000_000 + Math.floor(Math.random() * 1e6), other],
    );
    const token = randomBytes(32).toString('base64url');
    await h.pool.query(
      `INSERT INTO download_grant (token_hash, order_line_id, release_id, unit_index, status, activate_at,
                                   download_limit, activated_at, reported, unit_gross, unit_discount, unit_tax,
                                   unit_net, merch_bundle, fan_pack)
       VALUES ($1, $2, $3, 2, 'active', now() - interval '1 minute', 3, now(), true, 10, 0.33, 0, 9.67, true, true)`,
      [hashToken(token), line.rows[0]!.id, reported],
    );
    const before = (await redeemed()).length;
    expect(await service.redeem(hashToken(token), { format: 'flac', track: null }, null)).toMatchObject({
      state: 'ok',
      first: true,
    });
    const [event] = (await redeemed()).slice(before);
    expect(event).toMatchObject({
      releaseId: reported,
      unitIndex: 2,
      unitPriceNet: '9.67',
      unitPriceGross: '10.00',
      unitDiscount: '0.33',
      merchBundle: true,
      fanPack: true,
    });
  });
});
