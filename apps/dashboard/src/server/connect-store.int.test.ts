import { type Harness, startHarness, TEST_SHOPIFY } from '@single/artist-api/test-support/harness';
import { seedAccount, seedShop } from '@single/artist-api/test-support/seed';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testSessions } from './testing/test-sessions.ts';

// "Connect a store" through the BFF on the real artist API (its own database, the harness's Shopify app
// settings) and the real Redis: the form post becomes a redirect to Shopify, or back to the shops page
// with the artist API's refusal.
let artist: Harness;
let dashboard: FastifyInstance;
let sessions: ReturnType<typeof testSessions>;
let admin: string;
let readOnly: string;

beforeAll(async () => {
  artist = await startHarness();
  const artistUrl = await artist.api.app.listen({ host: '127.0.0.1', port: 0 });
  admin = (await seedAccount(artist.pool, 'Store Label', ['read', 'write', 'admin'])).secret;
  readOnly = (await seedAccount(artist.pool, 'Reader Label', ['read'])).secret;
  const other = await seedAccount(artist.pool, 'Other Label', ['admin']);
  await seedShop(artist.pool, other.accountId, 'taken.myshopify.com');
  sessions = testSessions();
  dashboard = sessions.build({
    artistApiUrl: artistUrl,
    shopifyShopOriginTemplate: TEST_SHOPIFY.shopOriginTemplate,
  }).app;
  await dashboard.ready();
});

afterAll(async () => {
  await dashboard?.close();
  await sessions?.close();
  await artist?.close();
});

const cookieOf = (setCookie: string | string[] | undefined) =>
  [setCookie ?? []].flat().find((c) => c.startsWith('single_dashboard='));

async function signIn(apiKey: string) {
  const start = await dashboard.inject({ method: 'GET', url: '/auth/session' });
  const first = cookieOf(start.headers['set-cookie'])!.split(';')[0]!;
  const res = await dashboard.inject({
    method: 'POST',
    url: '/auth/sign-in',
    headers: { cookie: first, 'x-csrf-token': start.json().csrfToken },
    payload: { apiKey },
  });
  expect(res.statusCode).toBe(200);
  return { cookie: cookieOf(res.headers['set-cookie'])!.split(';')[0]!, csrf: res.json().csrfToken as string };
}

/** The shops page's form, as the browser posts it. */
const connect = (cookie: string | undefined, fields: Record<string, string>) =>
  dashboard.inject({
    method: 'POST',
    url: '/shopify/connect',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
    payload: new URLSearchParams(fields).toString(),
  });

describe('POST /shopify/connect', () => {
  it('sends the browser to Shopify with an install link issued for the session key', async () => {
    const { cookie, csrf } = await signIn(admin);
    const res = await connect(cookie, { shop: 'Night-Shop.myshopify.com ', _csrf: csrf });
    expect(res.statusCode, res.body).toBe(303);
    const to = new URL(res.headers.location as string);
    expect(`${to.origin}${to.pathname}`).toBe(
      `${TEST_SHOPIFY.shopOriginTemplate.replace('{shop}', 'night-shop.myshopify.com')}/admin/oauth/authorize`,
    );
    expect(to.searchParams.get('client_id')).toBe(TEST_SHOPIFY.clientId);
    const { rows } = await artist.pool.query<{ name: string }>(
      `SELECT a.name FROM shopify_install_state s JOIN account a ON a.id = s.account_id WHERE s.shop_domain = $1`,
      ['night-shop.myshopify.com'],
    );
    expect(rows).toEqual([{ name: 'Store Label' }]);
  });

  it('brings the artist API refusals back to the shops page with their code', async () => {
    const { cookie, csrf } = await signIn(admin);
    const bad = await connect(cookie, { shop: 'example.com', _csrf: csrf });
    expect(bad.statusCode).toBe(303);
    expect(bad.headers.location).toBe('/shops?error=invalid_shop_domain&shop=example.com');
    const taken = await connect(cookie, { shop: 'taken.myshopify.com', _csrf: csrf });
    expect(taken.headers.location).toBe('/shops?error=shop_connected_to_another_account&shop=taken.myshopify.com');
    const empty = await connect(cookie, { shop: '  ', _csrf: csrf });
    expect(empty.headers.location).toBe('/shops?error=invalid_shop_domain');

    const reader = await signIn(readOnly);
    const scope = await connect(reader.cookie, { shop: 'reader.myshopify.com', _csrf: reader.csrf });
    expect(scope.headers.location).toBe('/shops?error=insufficient_scope&shop=reader.myshopify.com');
  });

  it('follows an install URL only on the shop origin: elsewhere the shops page gets artist_api_error', async () => {
    // A BFF expecting https://<shop> (production) in front of an artist API answering another origin.
    const strict = sessions.build({
      artistApiUrl: `http://127.0.0.1:${(artist.api.app.server.address() as { port: number }).port}`,
    }).app;
    try {
      const { cookie, csrf } = await signIn(admin);
      const res = await strict.inject({
        method: 'POST',
        url: '/shopify/connect',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        payload: new URLSearchParams({ shop: 'elsewhere.myshopify.com', _csrf: csrf }).toString(),
      });
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/shops?error=artist_api_error&shop=elsewhere.myshopify.com');
    } finally {
      await strict.close();
    }
  });

  it('needs the CSRF token, and a session', async () => {
    const { cookie } = await signIn(admin);
    const forged = await connect(cookie, { shop: 'forged.myshopify.com' });
    expect(forged.statusCode).toBe(403);
    expect(forged.json().code).toBe('invalid_csrf_token');
    const signedOut = await connect(undefined, { shop: 'anon.myshopify.com', _csrf: 'x' });
    expect(signedOut.statusCode).toBe(303);
    expect(signedOut.headers.location).toBe('/');
    const { rowCount } = await artist.pool.query(
      `SELECT 1 FROM shopify_install_state WHERE shop_domain IN ('forged.myshopify.com', 'anon.myshopify.com')`,
    );
    expect(rowCount).toBe(0);
  });
});
