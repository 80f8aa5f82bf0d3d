import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedArtist, seedPaidOrder, seedRelease, seedShop } from '../test-support/seed.ts';

let h: Harness;
let auth: { authorization: string };
let orderId: string;

beforeAll(async () => {
  h = await startHarness();
  const account = await seedAccount(h.pool, 'Search Label');
  auth = account.auth;
  await seedShop(h.pool, account.accountId, 'search.myshopify.com');
  const { id: releaseId } = await seedRelease(h.pool, await seedArtist(h.pool, account.accountId));
  orderId = (await seedPaidOrder(h.pool, { shopDomain: 'search.myshopify.com', releaseId })).orderId;
  // A second order under another name and email: never in the answers below.
  const other = await seedPaidOrder(h.pool, { shopDomain: 'search.myshopify.com', releaseId });
  await h.pool.query(`UPDATE orders SET name = '#1002', email = 'other@example.com' WHERE id = $1`, [other.orderId]);
});

afterAll(async () => {
  await h?.close();
});

const search = (q: string) => h.api.app.inject({ url: `/v1/orders/search?q=${encodeURIComponent(q)}`, headers: auth });

describe('GET /v1/orders/search', () => {
  it('finds an order by its name, with or without the #', async () => {
    for (const q of ['#1001', '1001', ' #1001 ']) {
      const res = await search(q);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().items.map((o: { id: string }) => o.id)).toEqual([orderId]);
    }
  });

  it("finds an order by the fan's whole email in any case, never by a part of it", async () => {
    expect((await search('Fan@Example.com')).json().items.map((o: { id: string }) => o.id)).toEqual([orderId]);
    expect((await search('fan@example')).json().items).toEqual([]);
    expect((await search('%@example.com')).json().items).toEqual([]);
  });

  it('answers 400 for an empty query', async () => {
    const res = await search('  ');
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation_failed');
  });
});
