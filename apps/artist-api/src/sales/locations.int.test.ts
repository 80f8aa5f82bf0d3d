import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedArtist, seedRelease } from '../test-support/seed.ts';

let h: Harness;
let auth: { authorization: string };
let releaseId: string;
let otherRelease: string;

async function locatedSale(
  release: string,
  row: { source: string; precision: string; quantity: number; at: string; type?: string },
) {
  await h.pool.query(
    `INSERT INTO located_sale (event_id, type, shop_domain, order_id, order_line_id, release_id, quantity, net_price, currency,
                               source, precision, occurred_at)
     VALUES ($1, $2, 's.myshopify.com', $3, $4, $5, $6, 9.99, 'USD', $7::location_source, $8::geo_precision, $9)`,
    [
      randomUUID(),
      row.type ?? 'sale.recorded',
      randomUUID(),
      randomUUID(),
      release,
      row.quantity,
      row.source,
      row.precision,
      row.at,
    ],
  );
}

beforeAll(async () => {
  h = await startHarness();
  const account = await seedAccount(h.pool, 'Located Label');
  auth = account.auth;
  releaseId = (await seedRelease(h.pool, await seedArtist(h.pool, account.accountId))).id;
  const other = await seedAccount(h.pool, 'Other Label');
  otherRelease = (await seedRelease(h.pool, await seedArtist(h.pool, other.accountId))).id;
  // 2026-12-01 in New York: 05:00Z to 05:00Z the next day.
  await locatedSale(releaseId, {
    source: 'billing_address',
    precision: 'postal',
    quantity: 2,
    at: '2026-12-01T15:00:00Z',
  });
  await locatedSale(releaseId, { source: 'browser_ip', precision: 'country', quantity: 1, at: '2026-12-02T04:30:00Z' });
  await locatedSale(releaseId, { source: 'none', precision: 'none', quantity: 1, at: '2026-12-01T12:00:00Z' });
  // Not counted: a redemption (not a sale), the next business day in New York, another account's sale.
  await locatedSale(releaseId, {
    source: 'billing_address',
    precision: 'postal',
    quantity: 5,
    at: '2026-12-01T16:00:00Z',
    type: 'sale.redeemed',
  });
  await locatedSale(releaseId, {
    source: 'billing_address',
    precision: 'postal',
    quantity: 7,
    at: '2026-12-02T05:00:00Z',
  });
  await locatedSale(otherRelease, {
    source: 'shipping_address',
    precision: 'postal',
    quantity: 9,
    at: '2026-12-01T15:00:00Z',
  });
});

afterAll(async () => {
  await h?.close();
});

describe('GET /v1/sales/locations', () => {
  it("counts the account's sold units by location source and precision, per New York business day", async () => {
    const res = await h.api.app.inject({ url: '/v1/sales/locations?from=2026-12-01&to=2026-12-01', headers: auth });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      from: '2026-12-01',
      to: '2026-12-01',
      units: 4,
      bySource: [
        { source: 'billing_address', precision: 'postal', units: 2 },
        { source: 'browser_ip', precision: 'country', units: 1 },
        { source: 'none', precision: 'none', units: 1 },
      ],
    });
  });

  it("answers another account's release like an unknown one", async () => {
    const foreign = await h.api.app.inject({ url: `/v1/sales/locations?releaseId=${otherRelease}`, headers: auth });
    const unknown = await h.api.app.inject({ url: `/v1/sales/locations?releaseId=${randomUUID()}`, headers: auth });
    expect(foreign.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    expect(foreign.json().code).toBe(unknown.json().code);
  });
});
