import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixture, type Harness, signedRequest, startHarness } from '../test-support/harness.ts';

// Issue 14 (privacy that holds): the ids a privacy purge matches on are taken at intake from the payload the
// route parsed, so that no purge parses a stored payload. jsonb refuses an escaped NUL and a lone surrogate,
// both valid JSON for Shopify and JavaScript: such a body is stored as received and still carries its ids.

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => h.close());

async function stored() {
  const { rows } = await h.pool.query<{
    topic: string;
    shopify_order_id: string | null;
    shopify_customer_id: string | null;
  }>('SELECT topic, shopify_order_id, shopify_customer_id FROM webhook_delivery ORDER BY id');
  return rows;
}

describe('a delivery stores the ids the privacy purges match on', () => {
  it('takes the order and customer ids of order snapshots, refunds and privacy topics, whatever the body holds', async () => {
    const order = JSON.parse(fixture('orders-paid').toString());
    // The escapes as Shopify sends them (JSON.stringify would write a NUL escaped too, but keep the surrogate raw).
    const withNul = Buffer.from(JSON.stringify({ ...order, note: 'gift\u0000' }));
    const withSurrogate = Buffer.from(
      JSON.stringify({ ...order, id: 5550001002, admin_graphql_api_id: 'gid://shopify/Order/5550001002' }).replace(
        '"name":',
        '"note":"\\ud800","name":',
      ),
    );
    const bodies: [string, Buffer][] = [
      ['orders/paid', withNul],
      ['orders/updated', withSurrogate],
      ['refunds/create', fixture('refunds-create')],
      ['customers/redact', fixture('customers-redact')],
      ['shop/redact', fixture('shop-redact')],
    ];
    for (const [topic, body] of bodies) {
      const response = await h.dispatcher.app.inject(signedRequest(topic, body));
      expect(response.json()).toEqual({ status: 'accepted' });
    }
    const refund = JSON.parse(fixture('refunds-create').toString());
    expect(await stored()).toEqual([
      { topic: 'orders/paid', shopify_order_id: '5550001001', shopify_customer_id: '7770001' },
      { topic: 'orders/updated', shopify_order_id: '5550001002', shopify_customer_id: '7770001' },
      { topic: 'refunds/create', shopify_order_id: String(refund.order_id), shopify_customer_id: null },
      { topic: 'customers/redact', shopify_order_id: null, shopify_customer_id: '7770001' },
      { topic: 'shop/redact', shopify_order_id: null, shopify_customer_id: null },
    ]);
    // Stored as received: the payload text keeps the escapes jsonb would refuse.
    const { rows } = await h.pool.query<{ payload: string }>(
      `SELECT payload FROM webhook_delivery WHERE topic = 'orders/updated'`,
    );
    expect(rows[0]?.payload).toContain('"note":"\\ud800"');
  });
});
