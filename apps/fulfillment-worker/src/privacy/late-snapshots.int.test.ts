import { useTestDatabase } from '@single/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadTokens } from '../grants/tokens.ts';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { customersRedact } from '../shopify/payloads.ts';
import { paidOrder, SHOP, seedCatalogue, shopifyFixture } from '../test-support/fixtures.ts';
import { redactCustomer } from './privacy.service.ts';

// Issue 14 (privacy that holds): a redacted customer stays redacted whatever arrives later. Shopify's
// orders/updated can come a day late, or be replayed, after the customers/redact it preceded.

const tokens = new DownloadTokens(['late-snapshot-secret-late-snapshot-secret-1']);
const GUEST_ORDER = '5550002001';
const GUEST_EMAIL = 'Guest.Fan@Example.com';

/** The fixture order bought as a guest: no customer, the email on the order only. */
const guestOrder = (overrides: Record<string, unknown> = {}) =>
  paidOrder({
    id: Number(GUEST_ORDER),
    admin_graphql_api_id: `gid://shopify/Order/${GUEST_ORDER}`,
    customer: null,
    email: GUEST_EMAIL,
    contact_email: GUEST_EMAIL,
    checkout_token: 'guest-checkout-token-0001',
    line_items: (shopifyFixture('orders/paid').line_items as { id: number }[]).map((l) => ({
      ...l,
      id: l.id + 1_000_000,
    })),
    ...overrides,
  });

describe('late snapshots after customers/redact', () => {
  const database = useTestDatabase();
  let pool: pg.Pool;
  const now = new Date();
  const apply = (snapshot: ReturnType<typeof paidOrder>) =>
    applySnapshots({ pool, tokens, now: () => now }, [{ shopDomain: SHOP, snapshot }]);

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 3 });
    await seedCatalogue(database().db, { now });
  });
  afterEach(async () => {
    await pool.end();
  });

  async function personal(shopifyOrderId: string) {
    const o = await database().db.order.findFirstOrThrow({
      where: { shopDomain: SHOP, shopifyOrderId: BigInt(shopifyOrderId) },
    });
    return [o.email, o.browserIp, o.checkoutToken, o.billingZip, o.billingProvince, o.shippingZip, o.shippingProvince];
  }
  const erased = [null, null, null, null, null, null, null];
  const later = (minutes: number) => new Date(Date.parse('2026-11-20T05:03:20Z') + minutes * 60_000).toISOString();

  it('a guest order named in orders_to_redact, and a later guest order with the redacted email, store no personal fields', async () => {
    await apply(guestOrder());
    expect((await personal(GUEST_ORDER))[0]).toBe(GUEST_EMAIL);
    await redactCustomer(
      database().db,
      SHOP,
      customersRedact.parse({
        shop_domain: SHOP,
        customer: { id: 7770042, email: GUEST_EMAIL },
        orders_to_redact: [Number(GUEST_ORDER)],
      }),
    );
    expect(await personal(GUEST_ORDER)).toEqual(erased);

    // The late orders/updated of the same order: email, IP, ZIP, province and checkout token all come back today.
    await apply(guestOrder({ updated_at: later(60) }));
    expect(await personal(GUEST_ORDER)).toEqual(erased);

    // Another guest order with the redacted address (differently cased), e.g. a replay under a new id.
    const other = '5550002002';
    await apply(
      guestOrder({
        id: Number(other),
        admin_graphql_api_id: `gid://shopify/Order/${other}`,
        email: ' guest.fan@example.com',
        contact_email: null,
        line_items: (shopifyFixture('orders/paid').line_items as { id: number }[]).map((l) => ({
          ...l,
          id: l.id + 2_000_000,
        })),
        updated_at: later(90),
      }),
    );
    expect(await personal(other)).toEqual(erased);
    // Nothing in the tombstones is the address itself.
    const { rows } = await pool.query<{ email_hash: string }>('SELECT email_hash FROM redacted_email');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.email_hash))).toBe(true);
  });

  it('a customer’s late snapshot does not write the checkout token back', async () => {
    await apply(paidOrder());
    await redactCustomer(database().db, SHOP, customersRedact.parse(shopifyFixture('customers/redact')));
    await apply(paidOrder({ updated_at: later(60) }));
    expect(await personal('5550001001')).toEqual(erased);
  });
});
