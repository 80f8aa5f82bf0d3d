import { Writable } from 'node:stream';
import { type Harness, startHarness, TEST_SHOPIFY } from '@single/artist-api/test-support/harness';
import { seedAccount } from '@single/artist-api/test-support/seed';
import { parseShopTokenKeys } from '@single/artist-api/test-support/shopify';
import { createLogger } from '@single/logger';
import { type FakeShopify, startFakeShopify } from '@single/testing';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testSessions } from './testing/test-sessions.ts';

// Shopify's redirect back to the BFF, on the real artist API (its own database), the real Redis and a local fake
// Shopify. Each "browser" is a cookie jar of its own: the callback is accepted only in the one that started the
// install, signed in to the account that did; anywhere else it is refused and nothing is stored.
let artist: Harness;
let shopify: FakeShopify;
let dashboard: FastifyInstance;
let sessions: ReturnType<typeof testSessions>;
let label: string;
let otherLabel: string;
const logLines: string[] = [];

beforeAll(async () => {
  shopify = await startFakeShopify({ clientId: 'bff-callback-app', clientSecret: 'shpss_bff_callback' });
  const settings = {
    ...TEST_SHOPIFY,
    clientId: 'bff-callback-app',
    clientSecret: 'shpss_bff_callback',
    shopOriginTemplate: shopify.originTemplate,
    tokenKeys: parseShopTokenKeys(`c1:${Buffer.alloc(32, 3).toString('base64')}`),
    // As SHOPIFY_INSTALL_RETURN_URL makes it: the dashboard's callback (the host does not matter to inject).
    redirectUri: 'http://dashboard.test/shopify/callback',
  };
  artist = await startHarness({ shopify: settings });
  const artistUrl = await artist.api.app.listen({ host: '127.0.0.1', port: 0 });
  label = (await seedAccount(artist.pool, 'Callback Label', ['read', 'write', 'admin'])).secret;
  otherLabel = (await seedAccount(artist.pool, 'Other Callback Label', ['read', 'write', 'admin'])).secret;
  sessions = testSessions();
  const destination = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  dashboard = sessions.build({
    logger: createLogger({ level: 'debug', destination }),
    artistApiUrl: artistUrl,
    shopifyShopOriginTemplate: shopify.originTemplate,
  }).app;
  await dashboard.ready();
});

afterAll(async () => {
  await dashboard?.close();
  await sessions?.close();
  await artist?.close();
  await shopify?.close();
});

/** A browser: its own cookies, kept from every answer. */
class Browser {
  readonly jar = new Map<string, string>();

  async get(url: string) {
    return this.#keep(await dashboard.inject({ method: 'GET', url, headers: this.#headers({ accept: 'text/html' }) }));
  }

  async post(url: string, payload: string | object, headers: Record<string, string> = {}) {
    return this.#keep(await dashboard.inject({ method: 'POST', url, payload, headers: this.#headers(headers) }));
  }

  #headers(headers: Record<string, string>) {
    const cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
    return cookie ? { ...headers, cookie } : headers;
  }

  #keep(res: LightMyRequestResponse) {
    for (const c of res.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const gone = c.value === '' || c.maxAge === 0 || (c.expires && c.expires.getTime() <= Date.now());
      if (gone) this.jar.delete(c.name);
      else this.jar.set(c.name, c.value);
    }
    return res;
  }
}

async function signedIn(apiKey: string) {
  const browser = new Browser();
  const session = await browser.get('/auth/session');
  const res = await browser.post('/auth/sign-in', { apiKey }, { 'x-csrf-token': session.json().csrfToken });
  expect(res.statusCode, res.body).toBe(200);
  return { browser, csrf: res.json().csrfToken as string };
}

/** "Connect a store" in `browser`: Shopify's authorization URL, where the merchant approves. */
async function startInstall(who: { browser: Browser; csrf: string }, shop: string) {
  const res = await who.browser.post('/shopify/connect', new URLSearchParams({ shop, _csrf: who.csrf }).toString(), {
    'content-type': 'application/x-www-form-urlencoded',
  });
  expect(res.statusCode, res.body).toBe(303);
  return res;
}

/** Shopify's redirect followed in `browser`: the callback, then the same-origin page it reloads. */
async function comeBack(browser: Browser, approved: URL) {
  const first = await browser.get(`${approved.pathname}${approved.search}`);
  expect(first.statusCode).toBe(200);
  const next = /http-equiv="refresh" content="0;url=([^"]+)"/.exec(first.body)?.[1]?.replaceAll('&#38;', '&');
  expect(next).toBe(`/shopify/callback/complete${approved.search}`);
  return browser.get(next!);
}

const stored = async (shop: string) =>
  (await artist.pool.query<{ access_token: string | null }>('SELECT access_token FROM shop WHERE domain = $1', [shop]))
    .rows[0]?.access_token ?? null;
const stateUsed = async (shop: string) =>
  (
    await artist.pool.query<{ used: boolean }>(
      'SELECT used_at IS NOT NULL AS used FROM shopify_install_state WHERE shop_domain = $1',
      [shop],
    )
  ).rows.map((r) => r.used);

describe('GET /shopify/callback', () => {
  it('binds the install to the starting browser: a short-lived, http-only, Lax cookie of the callback path', async () => {
    const res = await startInstall(await signedIn(label), 'cookie-shape.myshopify.com');
    const cookie = res.cookies.find((c) => c.name === 'single_shopify_install')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/shopify/callback', maxAge: 600 });
    const state = new URL(res.headers.location as string).searchParams.get('state')!;
    expect(cookie.value).not.toContain(state);
  });

  it('connects the store in the browser that started the install, once', async () => {
    const shop = 'same-browser.myshopify.com';
    const merchant = await signedIn(label);
    const approved = shopify.approve((await startInstall(merchant, shop)).headers.location as string);
    const done = await comeBack(merchant.browser, approved);
    expect(done.statusCode, done.body).toBe(303);
    expect(done.headers.location).toBe(`/shops?connected=1&shop=${shop}`);
    expect(await stored(shop)).toMatch(/^v1\.c1\./);
    expect(merchant.browser.jar.has('single_shopify_install')).toBe(false); // spent
    const again = await comeBack(merchant.browser, approved);
    expect([again.statusCode, again.headers['content-type']]).toEqual([403, 'text/html; charset=utf-8']);
    expect(again.body).toContain('install_not_started_here');
  });

  it('refuses the callback in another browser (the install link sent to a merchant): 403, nothing stored', async () => {
    const shop = 'lured-merchant.myshopify.com';
    const sender = await signedIn(label);
    const approved = shopify.approve((await startInstall(sender, shop)).headers.location as string);
    // The merchant's browser, signed out, and signed in to their own account.
    for (const victim of [new Browser(), (await signedIn(otherLabel)).browser]) {
      const res = await comeBack(victim, approved);
      expect(res.statusCode).toBe(403);
      expect(res.body).toContain('install_not_started_here');
      expect(res.body).toContain('href="/shops"');
    }
    // A client that is no browser gets problem+json.
    const api = await dashboard.inject({ method: 'GET', url: `/shopify/callback/complete${approved.search}` });
    expect([api.statusCode, api.headers['content-type'], api.json().code]).toEqual([
      403,
      'application/problem+json; charset=utf-8',
      'install_not_started_here',
    ]);
    expect(await stored(shop)).toBeNull();
    expect(shopify.tokens.get(shop)).toBeUndefined(); // the code was never exchanged
    expect(await stateUsed(shop)).toEqual([false]); // never forwarded
    // Logged, by its code, without the query's secrets.
    const logs = logLines.join('');
    expect(logs).toContain('install_not_started_here');
    for (const secret of ['state', 'code', 'hmac']) expect(logs).not.toContain(approved.searchParams.get(secret)!);
  });

  it("refuses another browser's install cookie, and a session of another account: nothing stored", async () => {
    const shop = 'mixed-up.myshopify.com';
    const sender = await signedIn(label);
    const approved = shopify.approve((await startInstall(sender, shop)).headers.location as string);
    // A browser that started an install of its own: its cookie is for another state.
    const own = await signedIn(label);
    await startInstall(own, 'own-install.myshopify.com');
    const mismatch = await comeBack(own.browser, approved);
    expect(mismatch.statusCode).toBe(403);
    expect(mismatch.body).toContain('install_state_mismatch');
    // The sender's cookie, replayed in a browser signed in to another account.
    const other = await signedIn(otherLabel);
    other.browser.jar.set('single_shopify_install', sender.browser.jar.get('single_shopify_install')!);
    const foreign = await comeBack(other.browser, approved);
    expect(foreign.statusCode).toBe(403);
    expect(foreign.body).toContain('install_other_account');
    // ...and in a browser signed out.
    const anonymous = new Browser();
    anonymous.jar.set('single_shopify_install', sender.browser.jar.get('single_shopify_install')!);
    const signedOut = await comeBack(anonymous, approved);
    expect(signedOut.statusCode).toBe(401);
    expect(signedOut.body).toContain('not_signed_in');
    expect(await stored(shop)).toBeNull();
    expect(await stateUsed(shop)).toEqual([false]);
  });

  it('refuses a cookie past its 10 minutes, even one the browser kept', async () => {
    const shop = 'too-late.myshopify.com';
    const merchant = await signedIn(label);
    const approved = shopify.approve((await startInstall(merchant, shop)).headers.location as string);
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 10 * 60_000 + 1_000 });
    try {
      const late = await comeBack(merchant.browser, approved);
      expect(late.statusCode).toBe(400);
      expect(late.body).toContain('install_expired');
    } finally {
      vi.useRealTimers();
    }
    expect(await stored(shop)).toBeNull();
    expect(await stateUsed(shop)).toEqual([false]);
  });
});
