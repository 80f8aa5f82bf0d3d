import { useTestDatabase } from '@single/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadTokens } from '../grants/tokens.ts';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { customersRedact } from '../shopify/payloads.ts';
import { paidOrder, SHOP, seedCatalogue, shopifyFixture } from '../test-support/fixtures.ts';
import { redactCustomer } from './privacy.service.ts';

// Issue 14 (review F3b P3): what a redaction reaches when the order comes after it, and the copies that
// keep a link to the fan after it (the capture's checkout token, the chart files).

const tokens = new DownloadTokens(['late-copies-secret-late-copies-secret-0001']);
const ORDER = '5550001001';
const TOKEN = 'late-copies-checkout-token-01';

describe('copies a redaction reaches', () => {
  const database = useTestDatabase();
  let pool: pg.Pool;
  const now = new Date();
  const apply = (snapshot: ReturnType<typeof paidOrder>) =>
    applySnapshots({ pool, tokens, now: () => now }, [{ shopDomain: SHOP, snapshot }]);
  const redact = () => redactCustomer(database().db, SHOP, customersRedact.parse(shopifyFixture('customers/redact')));

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 3 });
    await seedCatalogue(database().db, { now });
    // The geo beacon saw the checkout before the order reached us.
    await pool.query(
      `INSERT INTO geo_capture (shop_domain, checkout_token, client_ip, chain, flags, precision, country, postal, city,
         latitude, longitude) VALUES ($1, $2, '203.0.113.9', '{203.0.113.9}', '{}', 'postal', 'US', '10001', 'New York', 40.7, -74)`,
      [SHOP, TOKEN],
    );
  });
  afterEach(async () => {
    await pool.end();
  });

  const capture = async () =>
    (
      await pool.query(
        'SELECT checkout_token, client_ip, chain, postal, city, latitude, country FROM geo_capture WHERE shop_domain = $1',
        [SHOP],
      )
    ).rows[0];
  const erasedCapture = {
    checkout_token: null,
    client_ip: null,
    chain: [],
    postal: null,
    city: null,
    latitude: null,
    country: 'US',
  };

  it('an order that arrives after the redaction: its capture and its delivery payload are erased', async () => {
    await redact(); // nothing stored yet: nothing links the capture
    await pool.query(
      `INSERT INTO webhook_delivery (shop_domain, topic, webhook_id, body_sha256, dedupe_family, lane, payload,
         shopify_order_id) VALUES ($1, 'orders/paid', 'late-copies-1', repeat('a', 64), 'orders', 'orders', '{"id":1}', $2)`,
      [SHOP, ORDER],
    );
    await apply(paidOrder({ checkout_token: TOKEN }));
    expect(await capture()).toEqual(erasedCapture);
    const { rows } = await pool.query('SELECT payload FROM webhook_delivery WHERE webhook_id = $1', ['late-copies-1']);
    expect(rows[0].payload).toBeNull();
  });

  it('a redaction nulls the capture’s checkout token, and deletes the chart files of the days its lines are in', async () => {
    await apply(paidOrder({ checkout_token: TOKEN }));
    const line = (order: string, zip: string) =>
      pool.query(
        `INSERT INTO sale_line (chart, kind, eligibility, shop_domain, order_id, order_line_id, unit_index, release_id,
           zip, country, quantity, net_price, currency, occurred_at, business_date, updated_at)
         SELECT 'luminate-us', 'sale', 'eligible', $1, $2, $2 || '-1', 0, id, $3, 'US', 1, 9.99, 'USD', now(), $4::date, now()
         FROM release LIMIT 1`,
        [SHOP, order, zip, order === ORDER ? '2026-11-20' : '2026-11-21'],
      );
    await line(ORDER, '10001');
    await line('5550009999', '94110');
    for (const day of ['2026-11-20', '2026-11-21'])
      await pool.query(
        `INSERT INTO report_file (chart, business_date, sha256, content) VALUES ('luminate-us', $1::date, $2, 'x')`,
        [day, day.padEnd(64, '0')],
      );
    await redact();
    expect(await capture()).toEqual(erasedCapture);
    const { rows } = await pool.query(
      `SELECT to_char(business_date, 'YYYY-MM-DD') AS day FROM report_file ORDER BY business_date`,
    );
    // The redacted order's day is deleted for the job to make again; another fan's day is untouched.
    expect(rows.map((r) => r.day)).toEqual(['2026-11-21']);
  });
});
