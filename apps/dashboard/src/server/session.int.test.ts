import { type Harness, startHarness } from '@single/artist-api/test-support/harness';
import { seedAccount } from '@single/artist-api/test-support/seed';
import { silentLogger } from '@single/logger';
import { createTestRedisPrefix, deleteRedisPrefix, testRedisUrl } from '@single/testing';
import { compileTrustedProxies } from '@single/trusted-proxy';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import { redisKeyValue } from './sealed-store.ts';

// The BFF on the real artist API (its own database) and the real Redis (its own key prefix).
let artist: Harness;
let dashboard: FastifyInstance;
/** As deployed: Secure cookies, TLS ended before the pod, our ingress in TRUSTED_PROXIES. */
let behindIngress: FastifyInstance;
let redis: Redis;
let prefix: string;
let secret: string;

beforeAll(async () => {
  artist = await startHarness();
  const artistUrl = await artist.api.app.listen({ host: '127.0.0.1', port: 0 });
  secret = (await seedAccount(artist.pool, 'Night Label', ['read', 'write', 'admin'])).secret;
  redis = new Redis(testRedisUrl());
  prefix = `${createTestRedisPrefix()}session:`;
  dashboard = buildApp({
    logger: silentLogger(),
    store: redisKeyValue(redis),
    artistApiUrl: artistUrl,
    sessionSecret: 'a-test-session-secret-of-at-least-32-chars',
    sessionTtlSeconds: 600,
    sessionKeyPrefix: prefix,
    secureCookies: false,
  }).app;
  await dashboard.ready();
  behindIngress = buildApp({
    logger: silentLogger(),
    store: redisKeyValue(redis),
    artistApiUrl: artistUrl,
    sessionSecret: 'a-test-session-secret-of-at-least-32-chars',
    sessionTtlSeconds: 600,
    sessionKeyPrefix: prefix,
    secureCookies: true,
    trustedProxies: compileTrustedProxies(['10.20.64.0/18']),
  }).app;
  await behindIngress.ready();
});

afterAll(async () => {
  await dashboard?.close();
  await behindIngress?.close();
  await deleteRedisPrefix(prefix).catch(() => undefined);
  redis?.disconnect();
  await artist?.close();
});

const cookieOf = (setCookie: string | string[] | undefined) =>
  [setCookie ?? []].flat().find((c) => c.startsWith('single_dashboard='));

async function startSession() {
  const res = await dashboard.inject({ method: 'GET', url: '/auth/session' });
  expect(res.statusCode).toBe(200);
  const cookie = cookieOf(res.headers['set-cookie'])!.split(';')[0]!;
  return { cookie, csrf: res.json().csrfToken as string };
}

async function signIn() {
  const { cookie, csrf } = await startSession();
  const res = await dashboard.inject({
    method: 'POST',
    url: '/auth/sign-in',
    headers: { cookie, 'x-csrf-token': csrf },
    payload: { apiKey: secret },
  });
  expect(res.statusCode).toBe(200);
  const setCookie = cookieOf(res.headers['set-cookie'])!;
  return { setCookie, cookie: setCookie.split(';')[0]!, csrf: res.json().csrfToken as string, before: cookie };
}

describe('dashboard session', () => {
  it('proxies nothing before sign-in', async () => {
    const res = await dashboard.inject({ method: 'GET', url: '/api/me' });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('not_signed_in');
  });

  it('refuses a sign-in without the CSRF token, and a key the artist API rejects', async () => {
    const { cookie, csrf } = await startSession();
    const noToken = await dashboard.inject({
      method: 'POST',
      url: '/auth/sign-in',
      headers: { cookie },
      payload: { apiKey: secret },
    });
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().code).toBe('invalid_csrf_token');
    const wrongKey = await dashboard.inject({
      method: 'POST',
      url: '/auth/sign-in',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: { apiKey: 'sk_not_a_real_key_at_all' },
    });
    expect(wrongKey.statusCode).toBe(401);
    expect(wrongKey.json().code).toBe('invalid_api_key');
    // A key no HTTP header can carry (pasted with a stray character): refused as a key, not a 502 of the BFF.
    for (const apiKey of [
      'sgl_🎵🎵🎵🎵🎵🎵',
      'sgl_abc\u0000defgh',
      'sgl_abc defgh',
      'sgl_abcdefgh\n',
      'sgl_Ωmega_key',
    ]) {
      const odd = await dashboard.inject({
        method: 'POST',
        url: '/auth/sign-in',
        headers: { cookie, 'x-csrf-token': csrf },
        payload: { apiKey },
      });
      expect([odd.statusCode, odd.json().code], JSON.stringify(apiKey)).toEqual([401, 'invalid_api_key']);
    }
  });

  it('keeps the key server-side, sealed, behind an http-only same-site cookie with a fresh id', async () => {
    const { setCookie, cookie, before } = await signIn();
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(cookie).not.toBe(before);
    expect(setCookie).not.toContain(secret);
    const keys = await redis.keys(`${prefix}*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(await redis.get(key)).not.toContain(secret);
    const me = await dashboard.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
    expect(me.statusCode).toBe(200);
    expect(me.json().account.name).toBe('Night Label');
  });

  it('needs the CSRF token on every change through the proxy', async () => {
    const { cookie, csrf } = await signIn();
    const body = { name: 'from the dashboard', scopes: ['read'] };
    const without = await dashboard.inject({
      method: 'POST',
      url: '/api/api-keys',
      headers: { cookie },
      payload: body,
    });
    expect(without.statusCode).toBe(403);
    expect(without.json().code).toBe('invalid_csrf_token');
    const withToken = await dashboard.inject({
      method: 'POST',
      url: '/api/api-keys',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: body,
    });
    expect(withToken.statusCode, withToken.body).toBe(201);
  });

  it('revokes the session at sign-out: the old cookie no longer works', async () => {
    const { cookie, csrf } = await signIn();
    const out = await dashboard.inject({
      method: 'POST',
      url: '/auth/sign-out',
      headers: { cookie, 'x-csrf-token': csrf },
    });
    expect(out.statusCode).toBe(204);
    const again = await dashboard.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
    expect(again.statusCode).toBe(401);
  });
});

describe('a key revoked while signed in', () => {
  it('ends the session when the artist API refuses the key: not_signed_in, and the cookie no longer works', async () => {
    const { secret: key, keyId } = await seedAccount(artist.pool, 'Revoked Meanwhile', ['read']);
    const { cookie, csrf } = await startSession();
    const signedIn = await dashboard.inject({
      method: 'POST',
      url: '/auth/sign-in',
      headers: { cookie, 'x-csrf-token': csrf },
      payload: { apiKey: key },
    });
    const session = cookieOf(signedIn.headers['set-cookie'])!.split(';')[0]!;
    expect((await dashboard.inject({ method: 'GET', url: '/api/me', headers: { cookie: session } })).statusCode).toBe(
      200,
    );
    await artist.pool.query('UPDATE api_key SET revoked_at = now() WHERE id = $1', [keyId]);
    const refused = await dashboard.inject({ method: 'GET', url: '/api/me', headers: { cookie: session } });
    expect(refused.statusCode).toBe(401);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json().code).toBe('not_signed_in');
    const state = await dashboard.inject({ method: 'GET', url: '/auth/session', headers: { cookie: session } });
    expect(state.json().signedIn).toBe(false);
  });
});

describe('behind the ingress (TLS ended at the load balancer, plain http to the pod)', () => {
  const INGRESS = '10.20.64.7'; // a Traefik pod, in TRUSTED_PROXIES
  const https = { 'x-forwarded-proto': 'https' };

  it('signs in over https as the trusted ingress forwards it: the cookie is set, and Secure', async () => {
    const session = await behindIngress.inject({
      method: 'GET',
      url: '/auth/session',
      headers: https,
      remoteAddress: INGRESS,
    });
    const first = cookieOf(session.headers['set-cookie']);
    expect(first).toMatch(/; Secure/i);
    const res = await behindIngress.inject({
      method: 'POST',
      url: '/auth/sign-in',
      headers: { ...https, cookie: first!.split(';')[0]!, 'x-csrf-token': session.json().csrfToken },
      payload: { apiKey: secret },
      remoteAddress: INGRESS,
    });
    expect(res.statusCode, res.body).toBe(200);
    const setCookie = cookieOf(res.headers['set-cookie']);
    expect(setCookie).toMatch(/; Secure/i);
    expect(setCookie).toMatch(/HttpOnly/i);
    const me = await behindIngress.inject({
      method: 'GET',
      url: '/api/me',
      headers: { ...https, cookie: setCookie!.split(';')[0]! },
      remoteAddress: INGRESS,
    });
    expect(me.statusCode).toBe(200);
  });

  it('does not believe X-Forwarded-Proto from a peer that is not our ingress: no Secure cookie over plain http', async () => {
    const res = await behindIngress.inject({
      method: 'GET',
      url: '/auth/session',
      headers: { ...https, 'x-forwarded-for': INGRESS },
      remoteAddress: '203.0.113.9',
    });
    expect(res.statusCode).toBe(200);
    expect(cookieOf(res.headers['set-cookie'])).toBeUndefined();
  });
});
