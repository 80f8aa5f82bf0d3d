import { createHash } from 'node:crypto';
import { type Harness, startHarness } from '@single/artist-api/test-support/harness';
import { seedAccount } from '@single/artist-api/test-support/seed';
import { silentLogger } from '@single/logger';
import { createTestRedisPrefix, deleteRedisPrefix, testRedisUrl } from '@single/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type Dashboard } from './app.ts';
import { redisKeyValue } from './sealed-store.ts';

// One-time sign-in links (the demo prints one) on the real artist API and Redis: the first use signs the
// browser in, any later use is refused, and the store never holds the key or the token in clear.
let artist: Harness;
let dashboard: Dashboard;
let redis: Redis;
let prefix: string;
let secret: string;

beforeAll(async () => {
  artist = await startHarness();
  const artistUrl = await artist.api.app.listen({ host: '127.0.0.1', port: 0 });
  secret = (await seedAccount(artist.pool, 'Link Label', ['read'])).secret;
  redis = new Redis(testRedisUrl());
  prefix = `${createTestRedisPrefix()}session:`;
  dashboard = buildApp({
    logger: silentLogger(),
    store: redisKeyValue(redis),
    artistApiUrl: artistUrl,
    sessionSecret: 'a-test-session-secret-of-at-least-32-chars',
    sessionTtlSeconds: 600,
    sessionKeyPrefix: prefix,
    signInLinkTtlSeconds: 60,
    secureCookies: false,
  });
  await dashboard.app.ready();
});

afterAll(async () => {
  await dashboard?.app.close();
  await deleteRedisPrefix(prefix).catch(() => undefined);
  redis?.disconnect();
  await artist?.close();
});

const follow = (token: string) => dashboard.app.inject({ method: 'GET', url: `/auth/link/${token}` });
const sessionCookie = (setCookie: string | string[] | undefined) =>
  [setCookie ?? []]
    .flat()
    .find((c) => c.startsWith('single_dashboard='))
    ?.split(';')[0];

describe('GET /auth/link/:token', () => {
  it('signs in once: the first use gets a session, the second is refused', async () => {
    const token = await dashboard.signInLinks.issue(secret);
    const stored = (await redis.keys(`${prefix}link:*`)).map(async (k) => `${k} ${await redis.get(k)}`);
    for (const entry of await Promise.all(stored)) {
      expect(entry).not.toContain(secret);
      expect(entry).not.toContain(token);
    }

    const first = await follow(token);
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toBe('/');
    const cookie = sessionCookie(first.headers['set-cookie'])!;
    const me = await dashboard.app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
    expect(me.statusCode).toBe(200);
    expect(me.json().account.name).toBe('Link Label');

    const second = await follow(token);
    expect(second.statusCode).toBe(303);
    expect(second.headers.location).toBe('/?sign_in=link_refused');
    expect(sessionCookie(second.headers['set-cookie'])).toBeUndefined();
  });

  it('refuses unknown and malformed tokens, and two racing uses of one link sign in once', async () => {
    for (const token of ['A'.repeat(43), 'short', `${'x'.repeat(42)}%2F`]) {
      const res = await follow(token);
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe('/?sign_in=link_refused');
    }
    const token = await dashboard.signInLinks.issue(secret);
    const answers = await Promise.all([follow(token), follow(token), follow(token)]);
    expect(answers.map((a) => a.headers.location).sort()).toEqual([
      '/',
      '/?sign_in=link_refused',
      '/?sign_in=link_refused',
    ]);
  });

  it('a HEAD (a mail scanner or link checker) does not spend the link', async () => {
    const token = await dashboard.signInLinks.issue(secret);
    const head = await dashboard.app.inject({ method: 'HEAD', url: `/auth/link/${token}` });
    expect(head.statusCode).not.toBe(303);
    expect(sessionCookie(head.headers['set-cookie'])).toBeUndefined();
    const get = await follow(token);
    expect(get.headers.location).toBe('/');
    expect(sessionCookie(get.headers['set-cookie'])).toBeDefined();
  });

  it('checks the key before spending the link: an artist API that is down does not burn it', async () => {
    const down = buildApp({
      logger: silentLogger(),
      store: redisKeyValue(redis),
      artistApiUrl: 'http://127.0.0.1:9', // nothing listens on the discard port
      sessionSecret: 'a-test-session-secret-of-at-least-32-chars',
      sessionTtlSeconds: 600,
      sessionKeyPrefix: prefix,
      secureCookies: false,
    });
    try {
      const token = await dashboard.signInLinks.issue(secret);
      const failed = await down.app.inject({ method: 'GET', url: `/auth/link/${token}` });
      expect(failed.statusCode).toBe(303);
      expect(failed.headers.location).toBe('/?sign_in=link_unavailable');
      expect(sessionCookie(failed.headers['set-cookie'])).toBeUndefined();
      const later = await follow(token);
      expect(later.headers.location).toBe('/');
      expect(sessionCookie(later.headers['set-cookie'])).toBeDefined();
    } finally {
      await down.app.close();
    }
  });

  it('refuses a link whose key was revoked since', async () => {
    const { secret: revoked, keyId } = await seedAccount(artist.pool, 'Revoked Label', ['read']);
    const token = await dashboard.signInLinks.issue(revoked);
    await artist.pool.query('UPDATE api_key SET revoked_at = now() WHERE id = $1', [keyId]);
    const res = await follow(token);
    expect(res.headers.location).toBe('/?sign_in=link_refused');
    expect(sessionCookie(res.headers['set-cookie'])).toBeUndefined();
  });

  it('expires: the store keeps a link for its TTL only, and a link past it is refused', async () => {
    const token = await dashboard.signInLinks.issue(secret);
    const key = `${prefix}link:${createHash('sha256').update(token).digest('base64url')}`;
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await redis.pexpire(key, 1); // the 60 s TTL, run out
    await new Promise((resolve) => setTimeout(resolve, 20));
    const res = await follow(token);
    expect(res.headers.location).toBe('/?sign_in=link_refused');
    expect(sessionCookie(res.headers['set-cookie'])).toBeUndefined();
  });
});
