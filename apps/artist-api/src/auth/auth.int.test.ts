import { createTestRedisPrefix, deleteRedisPrefix, testRedisUrl } from '@single/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedKey } from '../test-support/seed.ts';
import { hashApiKey } from './api-keys.ts';

describe('API keys', () => {
  let h: Harness;
  let account: Awaited<ReturnType<typeof seedAccount>>;
  beforeAll(async () => {
    h = await startHarness();
    account = await seedAccount(h.pool, 'Keys');
  });
  afterAll(() => h?.close());

  it.each([
    ['no header', {}],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['a malformed key', { authorization: 'Bearer sgl_short' }],
    ['an unknown key', { authorization: `Bearer sgl_${'A'.repeat(43)}` }],
  ])('answers 401 problem+json for %s', async (_name, headers) => {
    const res = await h.api.app.inject({ url: '/v1/me', headers });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toContain('Bearer');
    expect(res.json()).toMatchObject({ code: 'unauthorized', status: 401 });
  });

  it('stores only the hash, shows the secret once, records last use and revokes', async () => {
    const created = await h.api.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: account.auth,
      payload: { name: 'ci', scopes: ['read'] },
    });
    expect(created.statusCode).toBe(201);
    const { id, secret } = created.json();
    expect(secret).toMatch(/^sgl_/);
    const { rows } = await h.pool.query('SELECT hash, last_used_at FROM api_key WHERE id = $1', [id]);
    expect(rows[0].hash).toBe(hashApiKey(secret));
    expect(rows[0].last_used_at).toBeNull();
    expect(
      JSON.stringify((await h.api.app.inject({ url: '/v1/api-keys', headers: account.auth })).json()),
    ).not.toContain(secret);

    const me = await h.api.app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${secret}` } });
    expect(me.json()).toMatchObject({
      account: { id: account.accountId, kind: 'label' },
      apiKey: { id, scopes: ['read'] },
    });
    const used = await h.pool.query('SELECT last_used_at FROM api_key WHERE id = $1', [id]);
    expect(used.rows[0].last_used_at).toBeInstanceOf(Date);

    // read-only key: writing is forbidden
    const write = await h.api.app.inject({
      method: 'POST',
      url: '/v1/artists',
      headers: { authorization: `Bearer ${secret}` },
      payload: { name: 'x' },
    });
    expect(write.statusCode).toBe(403);
    expect(write.json().code).toBe('insufficient_scope');

    const revoked = await h.api.app.inject({ method: 'DELETE', url: `/v1/api-keys/${id}`, headers: account.auth });
    expect(revoked.json().revokedAt).not.toBeNull();
    expect((await h.api.app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${secret}` } })).statusCode).toBe(
      401,
    );
  });

  it('cannot mint ops keys through the API', async () => {
    const res = await h.api.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: account.auth,
      payload: { name: 'x', scopes: ['ops'] },
    });
    expect(res.statusCode).toBe(400);
  });

  it('needs the ops scope to redrive dead letters', async () => {
    const res = await h.api.app.inject({
      method: 'POST',
      url: '/v1/dead-letters/redrive',
      headers: account.auth,
      payload: { queue: 'fulfillment.dlq' },
    });
    expect(res.statusCode).toBe(403);
    const ops = await seedKey(h.pool, account.accountId, ['read', 'ops']);
    const allowed = await h.api.app.inject({
      method: 'POST',
      url: '/v1/dead-letters/redrive',
      headers: ops.auth,
      payload: { queue: 'fulfillment.dlq' },
    });
    expect(allowed.statusCode).toBe(404); // not a configured queue in this app; the scope check passed
  });
});

describe('rate limit per key (Redis store)', () => {
  let h: Harness;
  let redis: Redis;
  const prefix = createTestRedisPrefix();
  beforeAll(async () => {
    redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
    h = await startHarness({ rateLimitRedis: redis, rateLimitNamespace: prefix, limits: { perKeyPerMinute: 3 } });
  });
  afterAll(async () => {
    await h?.close();
    await deleteRedisPrefix(prefix);
    redis?.disconnect();
  });

  it('allows the limit per key, then answers 429 with Retry-After; other keys are unaffected', async () => {
    const one = await seedAccount(h.pool, 'One');
    const two = await seedAccount(h.pool, 'Two');
    const statuses = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await h.api.app.inject({ url: '/v1/me', headers: one.auth })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await h.api.app.inject({ url: '/v1/me', headers: one.auth });
    expect(limited.json().code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await h.api.app.inject({ url: '/v1/me', headers: two.auth })).statusCode).toBe(200);
    expect(await redis.keys(`${prefix}*`)).not.toHaveLength(0);
  });
});
