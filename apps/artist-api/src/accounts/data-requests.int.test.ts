import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedKey, seedShop } from '../test-support/seed.ts';

// Issue 14 (privacy that holds): the merchant fetches the export a customers/data_request built, for its own
// shops only, with a key that may see fans' personal data, and not after it expired.

const SHOP = 'night-label.myshopify.com';
const DOCUMENT = {
  format: 'single.customer-data.v1',
  orders: [{ orderId: '5550001001', email: 'riley.fan@example.com', geoCaptures: [{ clientIp: '216.160.83.57' }] }],
};

let h: Harness;
let owner: Awaited<ReturnType<typeof seedAccount>>;
let exportId: string;
let expiredId: string;

beforeAll(async () => {
  h = await startHarness();
  owner = await seedAccount(h.pool, 'Night Label', ['read', 'write', 'admin']);
  await seedShop(h.pool, owner.accountId, SHOP);
  // As the fulfillment worker stores them (exportCustomerData; the sweep nulls an expired one).
  const { rows } = await h.pool.query<{ id: string }>(
    `INSERT INTO data_request_export (shop_domain, customer_id, data_request_id, payload, expires_at)
     VALUES ($1, 7770001, 8880001, $2, now() + interval '30 days'),
            ($1, 7770002, 8880002, NULL, now() - interval '1 day') RETURNING id::text`,
    [SHOP, JSON.stringify(DOCUMENT)],
  );
  exportId = rows[0]!.id;
  expiredId = rows[1]!.id;
});
afterAll(async () => h?.close());

const get = (url: string, headers: Record<string, string>) => h.api.app.inject({ method: 'GET', url, headers });

describe('GET /v1/shops/{domain}/data-requests/{id}', () => {
  it('answers the export by its id or by Shopify’s data request id, never cached', async () => {
    for (const id of [exportId, '8880001']) {
      const response = await get(`/v1/shops/${SHOP}/data-requests/${id}`, owner.auth);
      expect(response.statusCode).toBe(200);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.json()).toMatchObject({
        id: exportId,
        shopDomain: SHOP,
        customerId: '7770001',
        dataRequestId: '8880001',
        export: DOCUMENT,
      });
    }
  });

  it('410 export_expired once expired', async () => {
    for (const id of [expiredId, '8880002']) {
      const response = await get(`/v1/shops/${SHOP}/data-requests/${id}`, owner.auth);
      expect(response.statusCode).toBe(410);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ code: 'export_expired' });
    }
  });

  it('404 for another account’s shop and for an unknown export; 403 without the admin scope; 401 without a key', async () => {
    const rival = await seedAccount(h.pool, 'Rival', ['read', 'write', 'admin']);
    expect((await get(`/v1/shops/${SHOP}/data-requests/${exportId}`, rival.auth)).statusCode).toBe(404);
    expect((await get(`/v1/shops/${SHOP}/data-requests/8889999`, owner.auth)).statusCode).toBe(404);
    expect((await get(`/v1/shops/${SHOP}/data-requests/not-an-id`, owner.auth)).statusCode).toBe(404);
    const reader = await seedKey(h.pool, owner.accountId, ['read']);
    const forbidden = await get(`/v1/shops/${SHOP}/data-requests/${exportId}`, reader.auth);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().code).toBeTypeOf('string');
    expect((await get(`/v1/shops/${SHOP}/data-requests/${exportId}`, {})).statusCode).toBe(401);
  });
});
