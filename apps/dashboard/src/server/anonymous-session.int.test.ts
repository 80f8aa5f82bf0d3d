import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '@single/logger';
import { createTestRedisPrefix, deleteRedisPrefix, testRedisUrl } from '@single/testing';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.ts';
import { redisKeyValue } from './sealed-store.ts';

// Anonymous traffic on the real Redis (its own key prefix): the sign-in page, its assets, the session state it
// asks for (with its CSRF token) and the health probes store nothing. Sign-in, CSRF and sign-out on these
// sessions are session.int.test.ts's.
let dashboard: FastifyInstance;
let redis: Redis;
let prefix: string;
let webRoot: string;

beforeAll(async () => {
  webRoot = await mkdtemp(path.join(tmpdir(), 'dashboard-web-'));
  await mkdir(path.join(webRoot, 'assets'));
  await writeFile(path.join(webRoot, 'index.html'), '<!doctype html><title>Single</title>');
  await writeFile(path.join(webRoot, 'assets', 'app.js'), 'console.log(1)');
  redis = new Redis(testRedisUrl());
  prefix = `${createTestRedisPrefix()}session:`;
  dashboard = buildApp({
    logger: silentLogger(),
    store: redisKeyValue(redis),
    // Never reached: nothing here needs the artist API.
    artistApiUrl: 'http://127.0.0.1:9',
    sessionSecret: 'a-test-session-secret-of-at-least-32-chars',
    sessionTtlSeconds: 600,
    sessionKeyPrefix: prefix,
    secureCookies: false,
    webRoot,
  }).app;
  await dashboard.ready();
});

afterAll(async () => {
  await dashboard?.close();
  await deleteRedisPrefix(prefix).catch(() => undefined);
  redis?.disconnect();
  await rm(webRoot, { recursive: true, force: true });
});

const keysUnderPrefix = async () => (await redis.keys(`${prefix}*`)).length;
const sessionCookie = (setCookie: string | string[] | undefined) =>
  [setCookie ?? []].flat().find((c) => c.startsWith('single_dashboard='));

describe('anonymous visits', () => {
  it('write no Redis key: sign-in page, assets, session state with its CSRF token, health', async () => {
    const before = await keysUnderPrefix();
    const urls = ['/', '/territories', '/assets/app.js', '/health/live', '/auth/session'];
    for (let visitor = 0; visitor < 10; visitor += 1) {
      let cookie: string | undefined;
      for (const url of [...urls, ...urls]) {
        const res = await dashboard.inject({ method: 'GET', url, headers: cookie ? { cookie } : {} });
        expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
        if (url === '/auth/session') {
          expect(res.json()).toMatchObject({ signedIn: false, csrfToken: expect.any(String) });
          cookie ??= sessionCookie(res.headers['set-cookie'])?.split(';')[0];
          expect(cookie, 'the anonymous session still has its cookie').toBeDefined();
        }
      }
    }
    expect(await keysUnderPrefix()).toBe(before);
  });

  it("check a change's CSRF token against the anonymous session's own secret, not another's", async () => {
    const first = await dashboard.inject({ method: 'GET', url: '/auth/session' });
    const second = await dashboard.inject({ method: 'GET', url: '/auth/session' });
    const cookie = sessionCookie(first.headers['set-cookie'])!.split(';')[0]!;
    const signOut = (csrf: string) =>
      dashboard.inject({ method: 'POST', url: '/auth/sign-out', headers: { cookie, 'x-csrf-token': csrf } });
    const foreign = await signOut(second.json().csrfToken);
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().code).toBe('invalid_csrf_token');
    expect((await signOut(first.json().csrfToken)).statusCode).toBe(204);
    expect(await keysUnderPrefix()).toBe(0);
  });
});
