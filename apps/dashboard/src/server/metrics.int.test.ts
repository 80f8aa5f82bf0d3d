import { type Harness, startHarness } from '@single/artist-api/test-support/harness';
import { seedAccount } from '@single/artist-api/test-support/seed';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testSessions } from './testing/test-sessions.ts';

/** The value of one series in the Prometheus text, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

// Issue 18: the BFF's GET /metrics, on the real artist API and Redis. It holds no queue or outbox of its own:
// what it shows is its answers (the proxied ones included) and the process.
let artist: Harness;
let dashboard: FastifyInstance;
let sessions: ReturnType<typeof testSessions>;
let secret: string;

beforeAll(async () => {
  artist = await startHarness();
  const artistUrl = await artist.api.app.listen({ host: '127.0.0.1', port: 0 });
  secret = (await seedAccount(artist.pool, 'Metrics Label', ['read'])).secret;
  sessions = testSessions();
  dashboard = sessions.build({ artistApiUrl: artistUrl }).app;
  await dashboard.ready();
});

afterAll(async () => {
  await dashboard?.close();
  await sessions?.close();
  await artist?.close();
});

describe('GET /metrics on the dashboard BFF', () => {
  it('counts its answers by route and status, the proxied API calls included', async () => {
    const scrape = async () => {
      const response = await dashboard.inject({ method: 'GET', url: '/metrics' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      return response.body;
    };
    const before = await scrape();
    expect(before).toContain('process_resident_memory_bytes');
    expect(sample(before, 'http_responses_total{method="GET",route="/api/*",status_code="401"}')).toBeUndefined();

    expect((await dashboard.inject({ method: 'GET', url: '/api/me' })).statusCode).toBe(401);
    const session = await dashboard.inject({ method: 'GET', url: '/auth/session' });
    const cookie = [session.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('single_dashboard='))!;
    const headers = { cookie: cookie.split(';')[0]!, 'x-csrf-token': session.json().csrfToken as string };
    const signIn = await dashboard.inject({
      method: 'POST',
      url: '/auth/sign-in',
      headers,
      payload: { apiKey: secret },
    });
    expect(signIn.statusCode).toBe(200);
    const signedCookie = [signIn.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('single_dashboard='));
    const me = await dashboard.inject({
      method: 'GET',
      url: '/api/me',
      headers: { cookie: (signedCookie ?? cookie).split(';')[0]! },
    });
    expect(me.statusCode).toBe(200);

    const after = await scrape();
    expect(sample(after, 'http_responses_total{method="GET",route="/api/*",status_code="401"}')).toBe(1);
    expect(sample(after, 'http_responses_total{method="GET",route="/api/*",status_code="200"}')).toBe(1);
    expect(sample(after, 'http_responses_total{method="POST",route="/auth/sign-in",status_code="200"}')).toBe(1);
  });
});
