import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createDbOnPool } from '@single/db';
import { openShopToken, parseShopTokenKeys } from '@single/db/commands/shop-token';
import { markShopUninstalled } from '@single/fulfillment-worker/steps';
import { createLogger } from '@single/logger';
import { type FakeShopify, startFakeShopify } from '@single/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount } from '../test-support/seed.ts';
import type { ShopifyAppSettings } from './shopify-app.ts';
import { WEBHOOK_TOPICS } from './shopify-calls.ts';

// The OAuth install of a Shopify store against a local fake Shopify (packages/testing fake-shopify.ts): the
// artist API on a real database, Shopify's side (authorize, code exchange, webhook subscriptions) faked.

const CLIENT = { clientId: 'client-id-test', clientSecret: 'shpss_client_secret_test' };
const SHOP = 'harbour-lights.myshopify.com';
const WEBHOOK_URL = 'https://hooks.single.example/webhooks/shopify';
const keys = parseShopTokenKeys(`t1:${randomBytes(32).toString('base64')}`);

describe('GET /v1/shopify/install and /v1/shopify/callback', () => {
  let shopify: FakeShopify;
  let h: Harness;
  let clock = new Date('2026-12-08T10:00:00Z');
  const logLines: string[] = [];
  let settings: ShopifyAppSettings;

  beforeAll(async () => {
    shopify = await startFakeShopify(CLIENT);
    settings = {
      ...CLIENT,
      scopes: 'read_orders,write_fulfillments',
      redirectUri: 'http://127.0.0.1:3003/v1/shopify/callback',
      webhookUrl: WEBHOOK_URL,
      apiVersion: '2026-10',
      shopOriginTemplate: shopify.originTemplate,
      tokenKeys: keys,
      stateTtlMs: 10 * 60_000,
    };
    const destination = new Writable({
      write(chunk, _enc, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    h = await startHarness({
      shopify: settings,
      now: () => clock,
      logger: createLogger({ level: 'debug', destination }),
    });
  });
  afterAll(async () => {
    await h?.close();
    await shopify?.close();
  });
  afterEach(() => {
    clock = new Date('2026-12-08T10:00:00Z');
  });

  const installLink = async (auth: { authorization: string }, shop = SHOP) => {
    const res = await h.api.app.inject({ method: 'GET', url: `/v1/shopify/install?shop=${shop}`, headers: auth });
    expect(res.statusCode, res.body).toBe(200);
    return res.json<{ installUrl: string; expiresAt: string }>().installUrl;
  };
  /** Shopify's redirect as the dashboard forwards it: the query, with the key of the browser's session. */
  const callback = (url: URL, auth?: { authorization: string }) =>
    h.api.app.inject({ method: 'GET', url: `/v1/shopify/callback${url.search}`, ...(auth ? { headers: auth } : {}) });
  const storedToken = async (shop = SHOP) =>
    (await h.pool.query<{ access_token: string | null }>('SELECT access_token FROM shop WHERE domain = $1', [shop]))
      .rows[0]?.access_token;

  it('connects the store: offline token sealed at rest (never in clear, nor in the logs), webhooks at the dispatcher', async () => {
    const account = await seedAccount(h.pool, 'Harbour Lights', ['read', 'write', 'admin']);
    const link = new URL(await installLink(account.auth));
    expect(link.origin + link.pathname).toBe(`${shopify.originTemplate.replace('{shop}', SHOP)}/admin/oauth/authorize`);
    expect(link.searchParams.get('client_id')).toBe(CLIENT.clientId);
    expect(link.searchParams.get('redirect_uri')).toBe(settings.redirectUri);
    expect(link.searchParams.has('grant_options[]')).toBe(false); // offline access

    const res = await callback(shopify.approve(link.toString()), account.auth);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ shop: SHOP, connected: true, webhooks: { created: [...WEBHOOK_TOPICS] } });

    const issued = shopify.tokens.get(SHOP)!;
    const stored = (await storedToken())!;
    expect(stored).toMatch(/^v1\.t1\./);
    expect(stored).not.toContain(issued);
    expect(openShopToken(stored, SHOP, keys)).toBe(issued);
    const { rows } = await h.pool.query('SELECT account_id::text, install_state FROM shop WHERE domain = $1', [SHOP]);
    expect(rows).toEqual([{ account_id: account.accountId, install_state: 'installed' }]);
    const dump = await h.pool.query<{ t: string }>(`SELECT string_agg(row_to_json(s)::text, '') AS t FROM shop s`);
    expect(dump.rows[0]!.t).not.toContain(issued);
    expect(logLines.join('')).not.toContain(issued);
    expect(logLines.join('')).not.toContain(CLIENT.clientSecret);

    expect(shopify.subscriptions.get(SHOP)?.map((s) => [s.topic, s.uri])).toEqual(
      WEBHOOK_TOPICS.map((t) => [t, WEBHOOK_URL]),
    );
    // The Admin API got the token in clear, only in its header.
    expect(
      shopify.requests.filter((r) => r.path.includes('/graphql.json')).every((r) => r.accessToken === issued),
    ).toBe(true);
  });

  it('refuses a bad HMAC, a query altered after signing, and a signature by another secret', async () => {
    const account = await seedAccount(h.pool, 'Bad HMAC', ['admin']);
    const approved = shopify.approve(await installLink(account.auth, 'bad-hmac.myshopify.com'));
    const altered = new URL(approved);
    altered.searchParams.set('shop', 'evil-shop.myshopify.com');
    const forged = new URL(approved);
    forged.searchParams.set('hmac', 'a'.repeat(64));
    const missing = new URL(approved);
    missing.searchParams.delete('hmac');
    for (const url of [altered, forged, missing]) {
      const res = await callback(url, account.auth);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('invalid_hmac');
    }
    expect(await storedToken('bad-hmac.myshopify.com')).toBeUndefined();
    // The state was not spent by the forged callbacks: the genuine one still connects.
    expect((await callback(approved, account.auth)).statusCode).toBe(200);
  });

  it("refuses a callback without a key, or with another account's key: the state spent, nothing stored", async () => {
    const victimShop = 'lured-merchant.myshopify.com';
    const attacker = await seedAccount(h.pool, 'Link Sender', ['admin']);
    const bystander = await seedAccount(h.pool, 'Bystander', ['admin']);
    // The attacker's install link, approved by the merchant it was sent to.
    const approved = shopify.approve(await installLink(attacker.auth, victimShop));
    const anonymous = await callback(approved);
    expect([anonymous.statusCode, anonymous.json().code]).toEqual([401, 'unauthorized']);
    const foreign = await callback(approved, bystander.auth);
    expect([foreign.statusCode, foreign.json().code]).toEqual([403, 'state_account_mismatch']);
    const replay = await callback(approved, attacker.auth);
    expect([replay.statusCode, replay.json().code]).toEqual([400, 'invalid_state']);
    expect(await storedToken(victimShop)).toBeUndefined();
    expect(shopify.tokens.get(victimShop)).toBeUndefined(); // the code was never exchanged
  });

  it("refuses a replayed, an expired, an unknown and another shop's state", async () => {
    const account = await seedAccount(h.pool, 'States', ['admin']);
    const first = shopify.approve(await installLink(account.auth, 'states-a.myshopify.com'));
    expect((await callback(first, account.auth)).statusCode).toBe(200);
    const replay = await callback(first, account.auth);
    expect([replay.statusCode, replay.json().code]).toEqual([400, 'invalid_state']);

    const late = shopify.approve(await installLink(account.auth, 'states-b.myshopify.com'));
    clock = new Date(clock.getTime() + settings.stateTtlMs + 1_000);
    const expired = await callback(late, account.auth);
    expect([expired.statusCode, expired.json().code]).toEqual([400, 'state_expired']);
    clock = new Date('2026-12-08T10:00:00Z');

    const unknown = new URL(shopify.approve(await installLink(account.auth, 'states-c.myshopify.com')));
    const forgedState = new URLSearchParams(unknown.search);
    forgedState.set('state', 'never-issued');
    forgedState.delete('hmac');
    const res = await callback(
      new URL(`${unknown.pathname}?${shopify.sign(Object.fromEntries(forgedState))}`, unknown),
      account.auth,
    );
    expect([res.statusCode, res.json().code]).toEqual([400, 'invalid_state']);

    // A state issued for shop D, brought back (correctly signed by Shopify) by shop E's install.
    const linkD = new URL(await installLink(account.auth, 'states-d.myshopify.com'));
    const linkE = new URL(await installLink(account.auth, 'states-e.myshopify.com'));
    linkE.searchParams.set('state', linkD.searchParams.get('state')!);
    const foreign = await callback(shopify.approve(linkE.toString()), account.auth);
    expect([foreign.statusCode, foreign.json().code]).toEqual([400, 'state_shop_mismatch']);
    for (const shop of ['states-b', 'states-c', 'states-e']) {
      expect(await storedToken(`${shop}.myshopify.com`)).toBeUndefined();
    }
  });

  it("refuses a state issued to another account's shop and a shop already connected elsewhere", async () => {
    const owner = await seedAccount(h.pool, 'Owner', ['admin']);
    const other = await seedAccount(h.pool, 'Other', ['admin']);
    expect(
      (await callback(shopify.approve(await installLink(owner.auth, 'owned.myshopify.com')), owner.auth)).statusCode,
    ).toBe(200);
    const res = await h.api.app.inject({
      method: 'GET',
      url: '/v1/shopify/install?shop=owned.myshopify.com',
      headers: other.auth,
    });
    expect([res.statusCode, res.json().code]).toEqual([409, 'shop_connected_to_another_account']);
  });

  it("sweeps states expired over a day ago, any account's, the oldest 100 at each new link", async () => {
    const sweeper = await seedAccount(h.pool, 'Sweeper', ['admin']);
    const elsewhere = await seedAccount(h.pool, 'Elsewhere', ['admin']);
    await h.pool.query('DELETE FROM shopify_install_state');
    // 101 states of another account expired two days ago (oldest first), and one expired an hour ago.
    await h.pool.query(
      `INSERT INTO shopify_install_state (nonce_hash, account_id, shop_domain, created_at, expires_at)
       SELECT 'old-' || i, $1::uuid, 'old.myshopify.com', $2::timestamptz - interval '3 days',
              $2::timestamptz - interval '2 days' + i * interval '1 second'
         FROM generate_series(1, 101) i
       UNION ALL SELECT 'recent', $1::uuid, 'old.myshopify.com', $2::timestamptz - interval '2 hours',
              $2::timestamptz - interval '1 hour'`,
      [elsewhere.accountId, clock],
    );
    const left = async () =>
      (
        await h.pool.query<{ nonce_hash: string }>('SELECT nonce_hash FROM shopify_install_state ORDER BY expires_at')
      ).rows.map((r) => r.nonce_hash);
    await installLink(sweeper.auth, 'sweep-a.myshopify.com');
    expect((await left()).filter((n) => !n.startsWith('old-') && n !== 'recent')).toHaveLength(1);
    expect((await left()).filter((n) => n.startsWith('old-'))).toEqual(['old-101']);
    await installLink(sweeper.auth, 'sweep-b.myshopify.com');
    expect((await left()).filter((n) => n.startsWith('old-'))).toEqual([]);
    expect(await left()).toContain('recent');
  });

  it('takes myshopify.com domains only, at the install and at the callback', async () => {
    const account = await seedAccount(h.pool, 'Domains', ['admin']);
    for (const shop of [
      'evil.com',
      'band.myshopify.com.evil.com',
      'a.b.myshopify.com',
      '127.0.0.1',
      'band.myshopify.com%2F',
    ]) {
      const res = await h.api.app.inject({
        method: 'GET',
        url: `/v1/shopify/install?shop=${shop}`,
        headers: account.auth,
      });
      expect([res.statusCode, res.json().code], shop).toEqual([400, 'invalid_shop_domain']);
    }
    // A callback Shopify signed, naming a host that is not a myshopify domain (our check, not only Shopify's).
    const query = shopify.sign({ code: 'x', shop: 'evil.com', state: 'y', timestamp: '1' });
    const res = await h.api.app.inject({
      method: 'GET',
      url: `/v1/shopify/callback?${query}`,
      headers: account.auth,
    });
    expect([res.statusCode, res.json().code]).toEqual([400, 'invalid_shop_domain']);
  });

  it('needs an admin key to make an install link', async () => {
    const account = await seedAccount(h.pool, 'Writer', ['read', 'write']);
    const res = await h.api.app.inject({
      method: 'GET',
      url: `/v1/shopify/install?shop=${SHOP}`,
      headers: account.auth,
    });
    expect([res.statusCode, res.json().code]).toEqual([403, 'insufficient_scope']);
    expect((await h.api.app.inject({ method: 'GET', url: `/v1/shopify/install?shop=${SHOP}` })).statusCode).toBe(401);
  });

  it('app/uninstalled deletes the token; installing again connects with a new token and no duplicate webhooks', async () => {
    const shop = 'reinstall.myshopify.com';
    const account = await seedAccount(h.pool, 'Reinstall', ['admin']);
    expect((await callback(shopify.approve(await installLink(account.auth, shop)), account.auth)).statusCode).toBe(200);
    const firstToken = shopify.tokens.get(shop)!;

    shopify.uninstall(shop); // Shopify revokes the token and drops the subscriptions...
    // ...and sends app/uninstalled, which the worker handles:
    await markShopUninstalled(
      createDbOnPool(h.pool),
      shop,
      new Date(clock.getTime() + 1_000),
      new Date(clock.getTime() + 2_000),
    );
    expect(await storedToken(shop)).toBeNull();

    clock = new Date(clock.getTime() + 60_000);
    const again = await callback(shopify.approve(await installLink(account.auth, shop)), account.auth);
    expect(again.statusCode, again.body).toBe(200);
    const secondToken = shopify.tokens.get(shop)!;
    expect(secondToken).not.toBe(firstToken);
    expect(openShopToken((await storedToken(shop))!, shop, keys)).toBe(secondToken);
    const { rows } = await h.pool.query('SELECT install_state, uninstalled_at FROM shop WHERE domain = $1', [shop]);
    expect(rows).toEqual([{ install_state: 'installed', uninstalled_at: null }]);
    expect(shopify.subscriptions.get(shop)?.length).toBe(WEBHOOK_TOPICS.length);

    // A repeated install while the subscriptions are still there creates none.
    const repeat = await callback(shopify.approve(await installLink(account.auth, shop)), account.auth);
    expect(repeat.json().webhooks).toEqual({ created: [], existing: [...WEBHOOK_TOPICS] });
    expect(shopify.subscriptions.get(shop)?.length).toBe(WEBHOOK_TOPICS.length);
  });

  it('Shopify failing the subscriptions: 502, the shop connected, and installing again completes them', async () => {
    const shop = 'flaky-admin.myshopify.com';
    const account = await seedAccount(h.pool, 'Flaky', ['admin']);
    shopify.failAdminNext.push(503);
    const res = await callback(shopify.approve(await installLink(account.auth, shop)), account.auth);
    expect([res.statusCode, res.json().code]).toEqual([502, 'shopify_unavailable']);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(openShopToken((await storedToken(shop))!, shop, keys)).toBe(shopify.tokens.get(shop));
    expect(shopify.subscriptions.get(shop)).toBeUndefined();
    const again = await callback(shopify.approve(await installLink(account.auth, shop)), account.auth);
    expect(again.json().webhooks.created).toEqual([...WEBHOOK_TOPICS]);
  });

  it('answers 503 shopify_not_configured without the app settings', async () => {
    const bare = await startHarness({ shopify: undefined });
    try {
      const account = await seedAccount(bare.pool, 'Bare', ['admin']);
      const res = await bare.api.app.inject({
        method: 'GET',
        url: `/v1/shopify/install?shop=${SHOP}`,
        headers: account.auth,
      });
      expect([res.statusCode, res.json().code]).toEqual([503, 'shopify_not_configured']);
    } finally {
      await bare.close();
    }
  });
});
