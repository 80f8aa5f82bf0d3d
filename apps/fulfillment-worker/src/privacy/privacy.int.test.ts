import type { Db } from '@single/db';
import { useTestDatabase } from '@single/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadTokens } from '../grants/tokens.ts';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { customersRedact } from '../shopify/payloads.ts';
import { paidOrder, SHOP, seedCatalogue, shopifyFixture } from '../test-support/fixtures.ts';
import { redactCustomer, redactShop } from './privacy.service.ts';

const tokens = new DownloadTokens(['privacy-secret-privacy-secret-privacy-01']);
const OTHER_SHOP = 'other-label.myshopify.com';
const CHECKOUT = 'c1a2b3c4d5e6f708192a3b4c5d6e7f80'; // the fixture order's checkout token

/** What geo-reporting, the dispatcher and artist-api hold about one order (as their own code writes it). */
async function seedCopies(db: Db, shopDomain: string, orderId: string, checkoutToken: string, releaseId: string) {
  await db.geoCapture.create({
    data: {
      shopDomain,
      checkoutToken,
      clientIp: '216.160.83.56',
      chain: ['216.160.83.56', '10.0.0.1'],
      flags: [],
      precision: 'postal',
      country: 'US',
      region: 'WA',
      city: 'Milton',
      postal: '98354',
      latitude: 47.2484,
      longitude: -122.3129,
      accuracyRadiusKm: 20,
    },
  });
  // Shopify line ids are unique across shops (sale_line's unique key relies on it).
  const orderLineId = shopDomain === SHOP ? '13001001' : '23001001';
  const common = { shopDomain, orderId, orderLineId, releaseId, quantity: 1, netPrice: '9.99' };
  await db.locatedSale.create({
    data: {
      ...common,
      eventId: crypto.randomUUID(),
      type: 'sale.recorded',
      currency: 'USD',
      source: 'billing_address',
      precision: 'postal',
      country: 'US',
      region: 'WA',
      city: 'Milton',
      postal: '98354',
      fanKeys: ['a'.repeat(64)],
      occurredAt: new Date(),
    },
  });
  const line = await db.saleLine.create({
    data: {
      ...common,
      chart: 'luminate',
      kind: 'sale',
      eligibility: 'eligible',
      unitIndex: 0,
      zip: '98354',
      country: 'US',
      currency: 'USD',
      occurredAt: new Date(),
    },
  });
  await db.chartFanKey.create({
    data: {
      chart: 'luminate',
      product: 'upc:0602445790128',
      fanKey: `${shopDomain}:${'b'.repeat(40)}`,
      saleLineId: line.id,
    },
  });
  await db.webhookDelivery.create({
    data: {
      shopDomain,
      topic: 'orders/paid',
      webhookId: `w-${shopDomain}`,
      bodySha256: `sha-${shopDomain}`,
      dedupeFamily: 'orders/snapshot',
      lane: 'orders',
      payload: JSON.stringify({ ...shopifyFixture('orders/paid'), id: Number(orderId) }),
      // As the dispatcher stores them at intake (the purges match these, never the payload).
      shopifyOrderId: orderId,
      shopifyCustomerId: '7770001',
    },
  });
}

describe('privacy: redaction reaches every owner’s copy through the purges exported by @single/db', () => {
  const database = useTestDatabase();
  let pool: pg.Pool;
  let releaseId: string;
  const db = () => database().db;

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 3 });
    const catalogue = await seedCatalogue(db());
    await seedCatalogue(db(), { shopDomain: OTHER_SHOP });
    releaseId = catalogue.releasedAlbum;
    const now = new Date();
    await applySnapshots({ pool, tokens, now: () => now }, [
      { shopDomain: SHOP, snapshot: paidOrder() },
      { shopDomain: OTHER_SHOP, snapshot: paidOrder() },
    ]);
    // The fan downloaded once from each shop (artist-api's redemption route records the IP).
    for (const grant of await db().downloadGrant.findMany({ where: { status: 'active' } })) {
      await db().download.create({ data: { grantId: grant.id, format: 'flac', clientIp: '216.160.83.56' } });
    }
    await seedCopies(db(), SHOP, '5550001001', CHECKOUT, releaseId);
    await seedCopies(db(), OTHER_SHOP, '5550001001', CHECKOUT, releaseId);
  });
  afterEach(async () => {
    await pool.end();
  });

  /** Every personal field the other owners hold for a shop, as one comparable record. */
  async function personal(shopDomain: string) {
    const capture = await db().geoCapture.findFirstOrThrow({ where: { shopDomain } });
    const located = await db().locatedSale.findFirstOrThrow({ where: { shopDomain } });
    const line = await db().saleLine.findFirstOrThrow({ where: { shopDomain } });
    const delivery = await db().webhookDelivery.findFirstOrThrow({ where: { shopDomain } });
    const ips = await db().download.findMany({
      where: { grant: { orderLine: { order: { shopDomain } } } },
      select: { clientIp: true },
    });
    const outbox = await db().salesOutbox.findMany();
    return {
      capture: [capture.clientIp, capture.chain, capture.postal, capture.city, capture.latitude, capture.longitude],
      captureCountry: capture.country,
      located: [located.postal, located.city, located.region, located.fanKeys],
      locatedCountry: located.country,
      saleLine: [line.zip, line.country, line.eligibility],
      fanKeys: await db().chartFanKey.count({ where: { saleLineId: line.id } }),
      deliveryPayload: delivery.payload === null ? null : 'kept',
      downloadIps: ips.map((d) => d.clientIp),
      outboxFans: outbox
        .map((r) => r.payload as { shopDomain: string; fan: Record<string, string> })
        .filter((p) => p.shopDomain === shopDomain)
        .map((p) => Object.keys(p.fan).length > 0),
    };
  }

  const untouched = {
    capture: ['216.160.83.56', ['216.160.83.56', '10.0.0.1'], '98354', 'Milton', 47.2484, -122.3129],
    captureCountry: 'US',
    located: ['98354', 'Milton', 'WA', ['a'.repeat(64)]],
    locatedCountry: 'US',
    saleLine: ['98354', 'US', 'eligible'],
    fanKeys: 1,
    deliveryPayload: 'kept',
    downloadIps: ['216.160.83.56', '216.160.83.56'],
    outboxFans: [true, true, true],
  };
  const purged = {
    capture: [null, [], null, null, null, null],
    captureCountry: 'US',
    located: [null, null, null, []],
    locatedCountry: 'US',
    saleLine: [null, 'US', 'eligible'],
    fanKeys: 0,
    deliveryPayload: null,
    downloadIps: [null, null],
    outboxFans: [false, false, false],
  };

  it('customers/redact: the customer’s geo data, delivery payloads, download IPs and event fan blocks; other shops keep theirs', async () => {
    expect(await personal(SHOP)).toEqual(untouched);
    await redactCustomer(database().db, SHOP, customersRedact.parse(shopifyFixture('customers/redact')));
    expect(await personal(SHOP)).toEqual(purged);
    expect(await personal(OTHER_SHOP)).toEqual(untouched);
    // Non-identifying sale data stays: the grants, the sale line, the located sale.
    expect(await db().downloadGrant.count({ where: { orderLine: { order: { shopDomain: SHOP } } } })).toBe(3);
    // A second request (Shopify repeats them) changes nothing and does not fail.
    await redactCustomer(database().db, SHOP, customersRedact.parse(shopifyFixture('customers/redact')));
    expect(await personal(SHOP)).toEqual(purged);
  });

  it('customers/redact succeeds when stored payloads hold an escaped NUL or a lone surrogate (jsonb refuses both)', async () => {
    // Valid JSON for Shopify and JavaScript, stored as received by the dispatcher with the ids it took at intake.
    const stored = [
      ['orders/updated', '5550001001', '7770001', `{"id":5550001001,"note":"gift\\u0000","customer":{"id":7770001}}`],
      ['refunds/create', '5550001001', null, `{"id":8880001,"order_id":5550001001,"note":"\\ud800"}`],
      // Another customer's order in the same shop, with a bad payload too: it must stay.
      ['orders/paid', '5550009999', '7779999', `{"id":5550009999,"note":"\\udc00 \\u0000","customer":{"id":7779999}}`],
    ] as const;
    for (const [i, [topic, orderId, customerId, payload]] of stored.entries()) {
      await db().webhookDelivery.create({
        data: {
          shopDomain: SHOP,
          topic,
          webhookId: `bad-${i}`,
          bodySha256: `bad-sha-${i}`,
          dedupeFamily: topic,
          lane: 'orders',
          payload,
          shopifyOrderId: orderId,
          shopifyCustomerId: customerId,
        },
      });
    }
    await redactCustomer(database().db, SHOP, customersRedact.parse(shopifyFixture('customers/redact')));
    const kept = await db().webhookDelivery.findMany({
      where: { shopDomain: SHOP, payload: { not: null } },
      select: { webhookId: true },
    });
    expect(kept.map((d) => d.webhookId)).toEqual(['bad-2']);
    expect(await personal(SHOP)).toEqual(purged);
  });

  it('shop/redact: everything personal of the shop, in every owner’s tables; other shops keep theirs', async () => {
    await redactShop(database().db, SHOP, new Date());
    expect(await personal(SHOP)).toEqual(purged);
    expect(await personal(OTHER_SHOP)).toEqual(untouched);
  });
});

// redactOrders binds a shop's order ids as one uuid[] (`= ANY`). One parameter per id cannot go past 65,535 in a
// statement (the protocol's count is 16 bits; measured: a raw `IN (...)` of 70,000 ids fails with 08P01), and the
// client's `in` splits its lists at 32,766 (Prisma 7.10; over that in an unsplittable query it throws P2029).
describe('shop/redact of a shop with more orders than a statement takes bind parameters', () => {
  const database = useTestDatabase();
  const ORDERS = 70_000;

  it('redacts all 70,000 orders, their emails and their sealed links', { timeout: 180_000 }, async () => {
    const db = database().db;
    const { preorderAlbum } = await seedCatalogue(db);
    // Arrange in set-based statements: every order with every personal field; one in 1,000 (70, spread over the
    // range) with a line, a scheduled grant holding its sealed link, and a pending email.
    await db.$executeRaw`
      INSERT INTO orders (shop_domain, shopify_order_id, name, financial_status, currency, email, customer_id,
        browser_ip, checkout_token, billing_zip, billing_province, shipping_zip, shipping_province,
        shopify_updated_at, updated_at)
      SELECT ${SHOP}, 9000000 + i, '#' || i, 'paid', 'USD', 'fan' || i || '@example.com', 7000000 + i,
        '203.0.113.7', 'checkout' || i, '98354', 'WA', '98354', 'WA', now(), now()
      FROM generate_series(1, ${ORDERS}::int) AS i`;
    await db.$executeRaw`
      INSERT INTO order_line (order_id, shopify_line_id, quantity, price, requires_shipping, release_id)
      SELECT id, shopify_order_id + 1000000000, 1, 9.99, false, ${preorderAlbum}::uuid
      FROM orders WHERE shop_domain = ${SHOP} AND shopify_order_id % 1000 = 0`;
    await db.$executeRaw`
      INSERT INTO download_grant (token_hash, token_sealed, order_line_id, release_id, unit_index, status,
        activate_at, download_limit)
      SELECT 'hash-' || id, 'sealed-' || id, id, release_id, 0, 'scheduled', now() + interval '1 day', 3
      FROM order_line WHERE release_id = ${preorderAlbum}::uuid`;
    await db.$executeRaw`
      INSERT INTO email_message (idempotency_key, order_id, "to", kind, payload)
      SELECT 'confirmation-' || id, id, email, 'order_confirmation', '{}'::jsonb
      FROM orders WHERE shop_domain = ${SHOP} AND shopify_order_id % 1000 = 0`;
    expect(await db.emailMessage.count({ where: { to: { not: '' } } })).toBe(ORDERS / 1000);
    expect(await db.downloadGrant.count({ where: { tokenSealed: { not: null } } })).toBe(ORDERS / 1000);

    await redactShop(db, SHOP, new Date());

    expect(await db.order.count({ where: { shopDomain: SHOP } })).toBe(ORDERS);
    const personal = [
      'email',
      'customerId',
      'browserIp',
      'checkoutToken',
      'billingZip',
      'billingProvince',
      'shippingZip',
      'shippingProvince',
    ] as const;
    expect(
      await db.order.count({ where: { shopDomain: SHOP, OR: personal.map((field) => ({ [field]: { not: null } })) } }),
    ).toBe(0);
    const emails = await db.emailMessage.findMany({ select: { to: true, status: true, errorClass: true } });
    expect(emails).toHaveLength(ORDERS / 1000);
    expect(new Set(emails.map((e) => JSON.stringify(e)))).toEqual(
      new Set([JSON.stringify({ to: '', status: 'failed', errorClass: 'no_recipient' })]),
    );
    expect(await db.downloadGrant.count({ where: { tokenSealed: { not: null } } })).toBe(0);
    expect(await db.shop.findUnique({ where: { domain: SHOP }, select: { installState: true } })).toEqual({
      installState: 'redacted',
    });
  });
});
