import { randomUUID } from 'node:crypto';
import { salesEventV1 } from '@single/contracts';
import type { Db } from '@single/db';
import { flagUpcClaim, resolveUpcConflict } from '@single/db/commands/upc-conflicts';
import { createTestDatabase, type TestDatabase } from '@single/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LUMINATE_VERSIONS } from '../charts/rules.ts';
import { createWarmDb } from '../support/db.ts';
import { testGeoIp, testSalesService } from '../test-support/setup.ts';
import { seedChartRules } from './sales.repository.ts';
import type { SalesService } from './sales.service.ts';

// A UPC claimed by two accounts (issue 14): neither release's units chart while ops reviews it (pending
// `upc_under_review`, never lost), and once ops names the owner only the owner's do; the other release's
// units are `upc_not_owned`. Through SalesService on the real database, as the artist API flags the claims.
describe('a UPC claimed by two accounts', () => {
  const SHOP_A = 'owner-label.myshopify.com';
  const SHOP_B = 'rival-label.myshopify.com';
  const UPC = '0602445789029';
  const T0 = Date.parse('2027-01-08T15:00:00Z');
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: Db;
  let sales: SalesService;

  async function seedRelease(name: string) {
    const accountId = randomUUID();
    const artistId = randomUUID();
    const releaseId = randomUUID();
    await pool.query(`INSERT INTO account (id, kind, name, updated_at) VALUES ($1, 'label', $2, now())`, [
      accountId,
      name,
    ]);
    await pool.query(`INSERT INTO artist (id, account_id, name, updated_at) VALUES ($1, $2, $3, now())`, [
      artistId,
      accountId,
      name,
    ]);
    await pool.query(
      `INSERT INTO release (id, artist_id, title, upc, release_instant, updated_at)
       VALUES ($1, $2, 'Same Code', $3, '2026-01-09T05:00:00Z', now())`,
      [releaseId, artistId, UPC],
    );
    await flagUpcClaim(pool, { releaseId, upc: UPC, accountId });
    return { accountId, releaseId };
  }

  let lines = 0;
  /** One paid, delivered and downloaded unit of the release in the shop. */
  async function sellAndRedeem(shopDomain: string, releaseId: string) {
    lines += 1;
    const base = {
      version: 1,
      shopDomain,
      releaseId,
      upc: UPC,
      quantity: 1,
      unitIndex: 0,
      unitPriceNet: '9.99',
      currency: 'USD',
      orderId: String(5_570_000_000 + lines),
      orderLineId: String(15_000_000 + lines),
      fan: { emailHash: `fan-${shopDomain}-${lines}`, billingZip: '98354', billingCountry: 'US' },
    };
    for (const [type, at] of [
      ['sale.recorded', T0],
      ['sale.redeemed', T0 + 60_000],
    ] as const) {
      await sales.handle(
        salesEventV1.parse({ ...base, eventId: randomUUID(), type, occurredAt: new Date(at).toISOString() }),
      );
    }
    return base.orderLineId;
  }

  const unit = async (orderLineId: string) =>
    (
      await pool.query<{ eligibility: string; reason_code: string | null }>(
        `SELECT eligibility::text, reason_code FROM sale_line WHERE chart = 'luminate' AND order_line_id = $1 AND kind = 'sale'`,
        [orderLineId],
      )
    ).rows[0];

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
    db = await createWarmDb(database.url, { maxConnections: 4 }); // as the runtime warms it
    await seedChartRules(db, LUMINATE_VERSIONS);
    sales = testSalesService(db, pool, await testGeoIp());
  });

  afterAll(async () => {
    await db?.$disconnect();
    await pool?.end();
    await database?.drop();
  });

  it('keeps both releases pending while under review, then charts only the owner', async () => {
    const owner = await seedRelease('Owner Label');
    // Before anyone else claims the UPC, the owner's unit charts as usual.
    const before = await sellAndRedeem(SHOP_A, owner.releaseId);
    expect(await unit(before)).toEqual({ eligibility: 'eligible', reason_code: null });

    const rival = await seedRelease('Rival Label');
    const states = await pool.query(
      `SELECT id::text, upc_review::text FROM release WHERE upc = $1 ORDER BY created_at`,
      [UPC],
    );
    expect(states.rows.map((r) => r.upc_review)).toEqual(['under_review', 'under_review']);

    const ownerLine = await sellAndRedeem(SHOP_A, owner.releaseId);
    const rivalLine = await sellAndRedeem(SHOP_B, rival.releaseId);
    expect(await unit(ownerLine)).toEqual({ eligibility: 'pending', reason_code: 'upc_under_review' });
    expect(await unit(rivalLine)).toEqual({ eligibility: 'pending', reason_code: 'upc_under_review' });
    // Nothing resolved yet: the sweep leaves them waiting.
    expect(await sales.replanUpcReviews()).toBe(0);
    expect(await unit(ownerLine)).toMatchObject({ eligibility: 'pending' });

    const conflict = await pool.query<{ id: string }>(
      'SELECT id::text FROM upc_conflict WHERE upc = $1 AND resolved_at IS NULL',
      [UPC],
    );
    const resolved = await resolveUpcConflict(pool, {
      conflictId: conflict.rows[0]!.id,
      ownerReleaseId: owner.releaseId,
      resolvedBy: 'test',
    });
    expect(resolved.status).toBe('resolved');
    expect(await sales.replanUpcReviews()).toBe(2);
    expect(await unit(ownerLine)).toEqual({ eligibility: 'eligible', reason_code: null });
    expect(await unit(rivalLine)).toEqual({ eligibility: 'excluded', reason_code: 'upc_not_owned' });
    // The unit counted before the conflict stays counted (final rows never change).
    expect(await unit(before)).toEqual({ eligibility: 'eligible', reason_code: null });

    // Later sales: the owner's chart at once, the rival's never.
    expect(await unit(await sellAndRedeem(SHOP_A, owner.releaseId))).toMatchObject({ eligibility: 'eligible' });
    expect(await unit(await sellAndRedeem(SHOP_B, rival.releaseId))).toEqual({
      eligibility: 'excluded',
      reason_code: 'upc_not_owned',
    });
  });
});
