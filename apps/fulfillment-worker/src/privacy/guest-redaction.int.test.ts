import { useTestDatabase } from '@single/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadTokens } from '../grants/tokens.ts';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { customersRedact } from '../shopify/payloads.ts';
import { paidOrder, SHOP, seedCatalogue, shopifyFixture } from '../test-support/fixtures.ts';
import { redactCustomer } from './privacy.service.ts';

const tokens = new DownloadTokens(['guest-redact-secret-guest-redact-secret-1']);

describe('customers/redact reaches guest orders by email and leaves no sealed link behind', () => {
  const database = useTestDatabase();
  let pool: pg.Pool;

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 3 });
    await seedCatalogue(database().db);
  });
  afterEach(async () => {
    await pool.end();
  });

  it('a guest order stored under the address in another case is redacted without orders_to_redact', async () => {
    const now = new Date();
    const guest = paidOrder({ customer: null, email: 'RILEY.FAN@EXAMPLE.COM', contact_email: 'RILEY.FAN@EXAMPLE.COM' });
    // Another fan's guest order in the same shop stays as it is.
    const other = paidOrder({ id: 5550001009, customer: null, email: 'sam@example.com', contact_email: null });
    await applySnapshots({ pool, tokens, now: () => now }, [
      { shopDomain: SHOP, snapshot: guest },
      { shopDomain: SHOP, snapshot: other },
    ]);
    const request = customersRedact.parse({
      ...shopifyFixture('customers/redact'),
      customer: { id: 7770001, email: 'riley.fan@example.com' },
      orders_to_redact: [],
    });
    expect(await redactCustomer(database().db, SHOP, request)).toBe(1);

    const { rows } = await pool.query(
      `SELECT shopify_order_id::text AS id, email, browser_ip, checkout_token, billing_zip FROM orders ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: '5550001001', email: null, browser_ip: null, checkout_token: null, billing_zip: null },
      {
        id: '5550001009',
        email: 'sam@example.com',
        browser_ip: '216.160.83.56',
        checkout_token: 'c1a2b3c4d5e6f708192a3b4c5d6e7f80',
        billing_zip: '98354',
      },
    ]);
    const tombstone = await pool.query(`SELECT 1 FROM redacted_order WHERE shopify_order_id = 5550001001`);
    expect(tombstone.rowCount).toBe(1);
  });

  it("a redacted customer's pre-order grant keeps no sealed token (its email can never be sent)", async () => {
    const now = new Date();
    await applySnapshots({ pool, tokens, now: () => now }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    const before = await pool.query(
      `SELECT count(*)::int AS n FROM download_grant WHERE status = 'scheduled' AND token_sealed IS NOT NULL`,
    );
    expect(before.rows[0].n).toBeGreaterThan(0);

    await redactCustomer(database().db, SHOP, customersRedact.parse(shopifyFixture('customers/redact')));
    const after = await pool.query(`SELECT count(*)::int AS n FROM download_grant WHERE token_sealed IS NOT NULL`);
    expect(after.rows[0].n).toBe(0);
  });
});
