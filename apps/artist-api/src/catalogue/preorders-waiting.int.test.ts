import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedArtist, seedPaidOrder, seedRelease, seedShop } from '../test-support/seed.ts';

const DAY = 86_400_000;

/** An account with an upcoming pre-order release and `units` of it sold and scheduled. */
async function seedWaiting(h: Harness, name: string, units: number) {
  const account = await seedAccount(h.pool, name);
  const shopDomain = `${name.toLowerCase()}-waiting.myshopify.com`;
  await seedShop(h.pool, account.accountId, shopDomain);
  const artistId = await seedArtist(h.pool, account.accountId, `${name} artist`);
  const releaseInstant = new Date(Date.now() + 10 * DAY);
  const release = await seedRelease(h.pool, artistId, { title: `${name} pre-order`, releaseInstant });
  await h.pool.query('UPDATE release SET preorder = true WHERE id = $1', [release.id]);
  const grants: string[] = [];
  for (let i = 0; i < units; i++) {
    grants.push((await seedPaidOrder(h.pool, { shopDomain, releaseId: release.id, status: 'scheduled' })).grantId);
  }
  // A delivered (active) unit of the same release does not wait.
  await seedPaidOrder(h.pool, { shopDomain, releaseId: release.id });
  return { ...account, releaseId: release.id, releaseInstant, grants };
}

describe('GET /v1/preorders/waiting', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("counts each release's scheduled units for the caller's account only, and a revoked unit stops waiting", async () => {
    const a = await seedWaiting(h, 'Alpha', 3);
    const b = await seedWaiting(h, 'Bravo', 2);
    const get = async (auth: Record<string, string>) => {
      const res = await h.api.app.inject({ url: '/v1/preorders/waiting', headers: auth });
      expect(res.statusCode).toBe(200);
      return res.json().items;
    };
    expect(await get(a.auth)).toEqual([
      { releaseId: a.releaseId, title: 'Alpha pre-order', releaseInstant: a.releaseInstant.toISOString(), units: 3 },
    ]);
    expect(await get(b.auth)).toEqual([
      { releaseId: b.releaseId, title: 'Bravo pre-order', releaseInstant: b.releaseInstant.toISOString(), units: 2 },
    ]);
    // What the worker's revokeGrants writes on a refund or a cancellation.
    await h.pool.query(`UPDATE download_grant SET status = 'revoked', revoked_at = now() WHERE id = $1`, [a.grants[0]]);
    expect((await get(a.auth))[0].units).toBe(2);
    expect((await get(b.auth))[0].units).toBe(2);
  });

  it('needs a key', async () => {
    expect((await h.api.app.inject({ url: '/v1/preorders/waiting' })).statusCode).toBe(401);
  });
});
