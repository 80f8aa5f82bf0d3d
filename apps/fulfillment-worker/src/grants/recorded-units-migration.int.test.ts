import { randomBytes, randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { salesEventV1 } from '@single/contracts';
import { applyMigrations, migrationsDir } from '@single/db/migrations';
import { databaseUrl, testEnv } from '@single/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { paidOrder, SHOP } from '../test-support/fixtures.ts';
import { DownloadTokens } from './tokens.ts';

// Grants made before download_grant.reported existed learn which release their unit reported from the recorded
// sale.recorded events (geo-reporting's located_sale, or sales_outbox while unpublished), not from the line's
// release_id: a mapping deleted after the order left it NULL, a reported release moved after the sale left it on
// the other release. The line's release_id is the fallback only for lines without any event.
const MIGRATION = '20261207010000_recorded_units';

describe(`migration ${MIGRATION}: which grants were reported`, () => {
  const name = `test_${Date.now().toString(36)}_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: testEnv.DATABASE_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  let before: string;
  let through: string;
  let pool: pg.Pool;
  const A = randomUUID();
  const B = randomUUID();
  const T0 = Date.parse('2026-11-20T05:03:20Z');

  beforeAll(async () => {
    await admin(`CREATE DATABASE "${name}"`);
    pool = new pg.Pool({ connectionString: databaseUrl(name), max: 2 });
    before = await mkdtemp(join(tmpdir(), 'recorded-units-before-'));
    through = await mkdtemp(join(tmpdir(), 'recorded-units-through-'));
    for (const entry of await readdir(migrationsDir)) {
      if (entry < MIGRATION) await cp(join(migrationsDir, entry), join(before, entry), { recursive: true });
      if (entry <= MIGRATION) await cp(join(migrationsDir, entry), join(through, entry), { recursive: true });
    }
  });
  afterAll(async () => {
    await pool?.end();
    await rm(before, { recursive: true, force: true });
    await rm(through, { recursive: true, force: true });
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });

  const q = (sql: string, params: unknown[] = []) => pool.query(sql, params);
  let orders = 0;
  /** An order with one line (Shopify ids 5560000000+n / 14000000+n) of `quantity` units and the given release_id. */
  async function line(releaseId: string | null, quantity: number) {
    orders += 1;
    const shopifyOrderId = String(5_560_000_000 + orders);
    const shopifyLineId = String(14_000_000 + orders);
    const order = await q(
      `INSERT INTO orders (shop_domain, shopify_order_id, name, financial_status, currency, email, shopify_updated_at,
         updated_at) VALUES ($1, $2, $3, 'paid', 'USD', 'fan@example.com', $4, now()) RETURNING id`,
      [SHOP, shopifyOrderId, `#${orders}`, new Date(T0)],
    );
    const row = await q(
      `INSERT INTO order_line (order_id, shopify_line_id, quantity, price, requires_shipping, release_id)
       VALUES ($1, $2, $3, 9.99, false, $4) RETURNING id`,
      [order.rows[0].id, shopifyLineId, quantity, releaseId],
    );
    return { id: row.rows[0].id as string, shopifyOrderId, shopifyLineId };
  }
  async function grant(lineId: string, releaseId: string, unitIndex: number) {
    await q(
      `INSERT INTO download_grant (token_hash, order_line_id, release_id, unit_index, status, activate_at, download_limit)
       VALUES ($1, $2, $3, $4, 'active', now(), 5)`,
      [randomBytes(16).toString('hex'), lineId, releaseId, unitIndex],
    );
  }
  /** A sale.recorded consumed by geo-reporting. */
  async function located(
    l: { shopifyOrderId: string; shopifyLineId: string },
    releaseId: string,
    unit: number,
    at = T0,
  ) {
    await q(
      `INSERT INTO located_sale (event_id, type, shop_domain, order_id, order_line_id, release_id, quantity, net_price,
         currency, source, precision, occurred_at, unit_index)
       VALUES ($1, 'sale.recorded', $2, $3, $4, $5, 1, 9.99, 'USD', 'geo_capture', 'none', $6, $7)`,
      [randomUUID(), SHOP, l.shopifyOrderId, l.shopifyLineId, releaseId, new Date(at), unit],
    );
  }
  const reported = async (lineId: string) =>
    (
      await q(
        `SELECT release_id, unit_index FROM download_grant WHERE order_line_id = $1 AND reported
          ORDER BY unit_index, release_id`,
        [lineId],
      )
    ).rows.map((r) => [r.release_id === A ? 'A' : r.release_id === B ? 'B' : r.release_id, r.unit_index]);

  it('marks the grants whose release was recorded, from the events; the line only when it has none', async () => {
    await applyMigrations(databaseUrl(name), { migrationsDir: before });
    const account = randomUUID();
    const artist = randomUUID();
    await q(`INSERT INTO account (id, kind, name, updated_at) VALUES ($1, 'artist', 'Night Harbour', now())`, [
      account,
    ]);
    await q(`INSERT INTO artist (id, account_id, name, updated_at) VALUES ($1, $2, 'Night Harbour', now())`, [
      artist,
      account,
    ]);
    for (const [id, upc] of [
      [A, '0602445789012'],
      [B, '0602445789029'],
    ])
      await q(
        `INSERT INTO release (id, artist_id, title, upc, release_instant, updated_at)
         VALUES ($1, $2, 'Low Tide', $3, '2026-01-09T05:00:00Z', now())`,
        [id, artist, upc],
      );

    // The mapping deleted after the order: release_id NULL, units 0 and 1 recorded under A.
    const deleted = await line(null, 2);
    for (const u of [0, 1]) {
      await grant(deleted.id, A, u);
      await located(deleted, A, u);
    }
    // A bundle whose reported release moved from A to B after A was recorded.
    const moved = await line(B, 2);
    for (const u of [0, 1]) {
      await grant(moved.id, A, u);
      await grant(moved.id, B, u);
      await located(moved, A, u);
    }
    // Recorded under A, the event still in the outbox (not published, so not in located_sale).
    const unpublished = await line(B, 1);
    await grant(unpublished.id, A, 0);
    await grant(unpublished.id, B, 0);
    const eventId = randomUUID();
    await q(`INSERT INTO sales_outbox (event_id, topic, key, payload) VALUES ($1, 'sales.v1', $2, $3)`, [
      eventId,
      unpublished.shopifyOrderId,
      JSON.stringify({
        eventId,
        type: 'sale.recorded',
        shopDomain: SHOP,
        orderId: unpublished.shopifyOrderId,
        orderLineId: unpublished.shopifyLineId,
        releaseId: A,
        unitIndex: 0,
        occurredAt: new Date(T0).toISOString(),
      }),
    ]);
    // The old worker recorded unit 0 under A, then again under B (a re-pointed mapping): the first stands.
    const twice = await line(B, 1);
    await grant(twice.id, A, 0);
    await grant(twice.id, B, 0);
    await located(twice, A, 0, T0);
    await located(twice, B, 0, T0 + 60_000);
    // No event anywhere: the line's release, as before.
    const silent = await line(A, 1);
    await grant(silent.id, A, 0);

    expect(await applyMigrations(databaseUrl(name), { migrationsDir: through })).toContain(MIGRATION);

    expect(await reported(deleted.id)).toEqual([
      ['A', 0],
      ['A', 1],
    ]);
    expect(await reported(moved.id)).toEqual([
      ['A', 0],
      ['A', 1],
    ]);
    expect(await reported(unpublished.id)).toEqual([['A', 0]]);
    expect(await reported(twice.id)).toEqual([['A', 0]]);
    expect(await reported(silent.id)).toEqual([['A', 0]]);

    // A new unit of the line whose mapping was deleted (the quantity grew) is recorded under A, the unit's release.
    await applyMigrations(databaseUrl(name));
    const tokens = new DownloadTokens(['test-secret-test-secret-test-secret-0001']);
    const fixture = paidOrder();
    await applySnapshots({ pool, tokens, now: () => new Date() }, [
      {
        shopDomain: SHOP,
        snapshot: paidOrder({
          id: deleted.shopifyOrderId,
          updated_at: new Date(T0 + 3_600_000).toISOString(),
          line_items: [{ ...fixture.line_items[0]!, id: deleted.shopifyLineId, quantity: 3, variant_id: 45999999 }],
        }),
      },
    ]);
    expect(await reported(deleted.id)).toEqual([
      ['A', 0],
      ['A', 1],
      ['A', 2],
    ]);
    const { rows } = await q(`SELECT payload FROM sales_outbox WHERE key = $1`, [deleted.shopifyOrderId]);
    expect(rows.map((r) => salesEventV1.parse(r.payload)).map((e) => [e.type, e.releaseId, e.unitIndex])).toEqual([
      ['sale.recorded', A, 2],
    ]);
  });
});
