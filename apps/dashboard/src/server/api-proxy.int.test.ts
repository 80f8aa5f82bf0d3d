import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { type Harness, startHarness } from '@single/artist-api/test-support/harness';
import { seedAccount } from '@single/artist-api/test-support/seed';
import { silentLogger } from '@single/logger';
import { createTestRedisPrefix, deleteRedisPrefix, testRedisUrl } from '@single/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type Dashboard } from './app.ts';
import { redisKeyValue } from './sealed-store.ts';

// The BFF's proxy when the artist API is down or hangs: its own 502/504 problems, quickly. A session is made on
// the real artist API; BFFs sharing its session store then point at a closed port and at a peer that accepts
// connections and never answers.
let artist: Harness;
let redis: Redis;
let prefix: string;
let cookie: string;
let silent: Server;
const sockets: Socket[] = [];
const built: Dashboard[] = [];

const bff = (artistApiUrl: string, artistApiTimeoutMs?: number) => {
  const dashboard = buildApp({
    logger: silentLogger(),
    store: redisKeyValue(redis),
    artistApiUrl,
    sessionSecret: 'a-test-session-secret-of-at-least-32-chars',
    sessionTtlSeconds: 600,
    sessionKeyPrefix: prefix,
    secureCookies: false,
    ...(artistApiTimeoutMs ? { artistApiTimeoutMs } : {}),
  });
  built.push(dashboard);
  return dashboard.app;
};

beforeAll(async () => {
  artist = await startHarness();
  const artistUrl = await artist.api.app.listen({ host: '127.0.0.1', port: 0 });
  const { secret } = await seedAccount(artist.pool, 'Proxy Label', ['read']);
  redis = new Redis(testRedisUrl());
  prefix = `${createTestRedisPrefix()}session:`;
  const link = bff(artistUrl);
  await link.ready();
  const token = await built[0]!.signInLinks.issue(secret);
  const res = await link.inject({ method: 'GET', url: `/auth/link/${token}` });
  cookie = [res.headers['set-cookie'] ?? []]
    .flat()
    .find((c) => c.startsWith('single_dashboard='))!
    .split(';')[0]!;
  silent = createServer((socket) => void sockets.push(socket)).listen(0, '127.0.0.1');
  await once(silent, 'listening');
});

afterAll(async () => {
  for (const dashboard of built) await dashboard.app.close();
  for (const socket of sockets) socket.destroy();
  silent?.close();
  await deleteRedisPrefix(prefix).catch(() => undefined);
  redis?.disconnect();
  await artist?.close();
});

/** `http_responses_total` of the proxied GET /api/* with this status on the BFF's GET /metrics (0 when absent). */
async function proxied(app: ReturnType<typeof bff>, status: number): Promise<number> {
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const series = `http_responses_total{method="GET",route="/api/*",status_code="${status}"} `;
  const line = text.split('\n').find((l) => l.startsWith(series));
  return line === undefined ? 0 : Number(line.slice(series.length));
}

// The on-call engineer sees the artist API down from the dashboard's side on GET /metrics: the 502s and 504s
// of the proxied calls are counted (the monitor-worthy rate), not only answered.
describe('/api/* when the artist API does not answer', () => {
  it('a refused connection is 502 artist_api_unreachable (not the database), counted on /metrics', async () => {
    const app = bff('http://127.0.0.1:9');
    expect(await proxied(app, 502)).toBe(0);
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
      expect(res.statusCode).toBe(502);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('artist_api_unreachable');
    }
    expect(await proxied(app, 502)).toBe(3);
  });

  it('an artist API that never answers is 504 artist_api_timeout after the timeout, counted on /metrics', async () => {
    const { port } = silent.address() as { port: number };
    const app = bff(`http://127.0.0.1:${port}`, 500);
    const started = Date.now();
    const res = await app.inject({ method: 'GET', url: '/api/me', headers: { cookie } });
    expect(res.statusCode).toBe(504);
    expect(res.json().code).toBe('artist_api_timeout');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await proxied(app, 504)).toBe(1);
  });
});
