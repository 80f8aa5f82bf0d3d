import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedArtist, seedPaidOrder, seedRelease, seedShop } from '../test-support/seed.ts';

// Issue 15: the worker's email and Shopify outboxes have a `sending` state (claimed, handed to SMTP or
// Shopify, outcome not written yet). An order seen at that moment answers 200 with it, never a 500.
describe('GET /v1/orders/:id while an email and a fulfilment are being sent', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('shows them as `sending`, the fulfilment state still pending', async () => {
    const account = await seedAccount(h.pool, 'Outbox');
    await seedShop(h.pool, account.accountId, 'outbox.myshopify.com');
    const release = await seedRelease(h.pool, await seedArtist(h.pool, account.accountId));
    const order = await seedPaidOrder(h.pool, { shopDomain: 'outbox.myshopify.com', releaseId: release.id });
    await h.pool.query(`UPDATE email_message SET status = 'sending', sent_at = NULL WHERE order_id = $1`, [
      order.orderId,
    ]);
    await h.pool.query(`UPDATE fulfillment SET status = 'sending', shopify_fulfillment_id = NULL WHERE order_id = $1`, [
      order.orderId,
    ]);

    const response = await h.api.app.inject({ url: `/v1/orders/${order.orderId}`, headers: account.auth });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json();
    expect(body.emails.map((e: { status: string }) => e.status)).toEqual(['sending']);
    expect(body.fulfillments.map((f: { status: string }) => f.status)).toEqual(['sending']);
    expect(body.fulfillmentState).toBe('pending');
  });
});
