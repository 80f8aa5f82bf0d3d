import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedShop } from '../test-support/seed.ts';

// Issue 14: a stored payload holding an escaped NUL or a lone surrogate (valid JSON, refused by jsonb) is
// shown like any other; the route once cast it to jsonb and answered 500.

describe('GET /v1/webhook-deliveries/{id} with a payload jsonb refuses', () => {
  let h: Harness;
  let account: Awaited<ReturnType<typeof seedAccount>>;
  beforeAll(async () => {
    h = await startHarness();
    account = await seedAccount(h.pool, 'Escapes');
    await seedShop(h.pool, account.accountId, 'escapes.myshopify.com');
  });
  afterAll(async () => h?.close());

  it('answers the payload as Shopify sent it', async () => {
    const { rows } = await h.pool.query<{ id: string }>(
      `INSERT INTO webhook_delivery (shop_domain, topic, webhook_id, body_sha256, dedupe_family, lane, payload)
       VALUES ('escapes.myshopify.com', 'orders/paid', 'w-esc', 'sha-esc', 'orders/snapshot', 'orders', $1)
       RETURNING id::text`,
      ['{"id":5550001001,"note":"gift\\u0000 \\ud800"}'],
    );
    const response = await h.api.app.inject({ url: `/v1/webhook-deliveries/${rows[0]!.id}`, headers: account.auth });
    expect(response.statusCode).toBe(200);
    expect(response.json().payload).toEqual({ id: 5550001001, note: 'gift\u0000 \ud800' });
  });
});
