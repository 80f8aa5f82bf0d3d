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
    account = await seedAccount(h.pool, 'Keys', ['read', 'write', 'admin']);
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

  const mint = (auth: Record<string, string>, scopes: string[], name = 'minted') =>
    h.api.app.inject({ method: 'POST', url: '/v1/api-keys', headers: auth, payload: { name, scopes } });
  const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

  it('needs the admin scope to mint a key: a write key gets 403 and mints nothing', async () => {
    const writer = await seedKey(h.pool, account.accountId, ['read', 'write']);
    const before = await h.pool.query('SELECT count(*)::int AS n FROM api_key');
    const res = await mint(writer.auth, ['read']);
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'insufficient_scope' });
    expect((await h.pool.query('SELECT count(*)::int AS n FROM api_key')).rows[0].n).toBe(before.rows[0].n);
    // nor revoke one (key management is admin's)
    const revoke = await h.api.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${account.keyId}`,
      headers: writer.auth,
    });
    expect(revoke.statusCode).toBe(403);
  });

  it('never grants more than the minting key holds (403 scope_not_held), and records who minted', async () => {
    const admin = await seedKey(h.pool, account.accountId, ['read', 'admin']);
    const wider = await mint(admin.auth, ['read', 'write']);
    expect(wider.statusCode).toBe(403);
    expect(wider.json()).toMatchObject({ code: 'scope_not_held', status: 403 });
    expect(wider.json().detail).toContain('"write"');

    const narrower = await mint(admin.auth, ['read']);
    expect(narrower.statusCode).toBe(201);
    expect(narrower.json()).toMatchObject({ scopes: ['read'], createdByKeyId: admin.keyId });
    const { rows } = await h.pool.query('SELECT created_by_key_id FROM api_key WHERE id = $1', [narrower.json().id]);
    expect(rows[0].created_by_key_id).toBe(admin.keyId);
  });

  it('revoking a key lists every key it minted; cascade=true revokes them with it', async () => {
    const root = await seedKey(h.pool, account.accountId, ['read', 'write', 'admin']);
    const child = (await mint(root.auth, ['read', 'admin'], 'child')).json();
    const grandchild = (await mint(bearer(child.secret), ['read'], 'grandchild')).json();
    const sibling = (await mint(root.auth, ['write'], 'sibling')).json();

    const listed = await h.api.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${root.keyId}`,
      headers: account.auth,
    });
    expect(listed.statusCode).toBe(200);
    expect(listed.json().revokedAt).not.toBeNull();
    expect(
      listed
        .json()
        .minted.map((k: { id: string }) => k.id)
        .sort(),
    ).toEqual([child.id, grandchild.id, sibling.id].sort());
    expect(listed.json().minted.every((k: { revokedAt: string | null }) => k.revokedAt === null)).toBe(true);
    // without cascade, what the key made still works (and is named above)
    expect((await h.api.app.inject({ url: '/v1/me', headers: bearer(grandchild.secret) })).statusCode).toBe(200);

    const cascaded = await h.api.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${root.keyId}?cascade=true`,
      headers: account.auth,
    });
    expect(cascaded.statusCode).toBe(200);
    expect(cascaded.json().revokedAt).toBe(listed.json().revokedAt);
    expect(cascaded.json().minted).toHaveLength(3);
    expect(cascaded.json().minted.every((k: { revokedAt: string | null }) => k.revokedAt !== null)).toBe(true);
    for (const k of [child, grandchild, sibling]) {
      expect((await h.api.app.inject({ url: '/v1/me', headers: bearer(k.secret) })).statusCode).toBe(401);
    }
    // a revoked minter's keys cannot be replaced by it either
    expect((await mint(root.auth, ['read'])).statusCode).toBe(401);
  });

  it("cascade never reaches another account's key, even one recorded as minted by this account's key", async () => {
    const root = await seedKey(h.pool, account.accountId, ['read', 'admin']);
    const other = await seedAccount(h.pool, `other ${Date.now()}`);
    // No route makes such a row; a bad import or a hand edit could.
    await h.pool.query('UPDATE api_key SET created_by_key_id = $1 WHERE id = $2', [root.keyId, other.keyId]);
    const res = await h.api.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${root.keyId}?cascade=true`,
      headers: account.auth,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().minted).toEqual([]);
    expect((await h.api.app.inject({ url: '/v1/me', headers: other.auth })).statusCode).toBe(200);
  });

  it('rejects an unknown cascade value with a 400 problem', async () => {
    const res = await h.api.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${account.keyId}?cascade=yes`,
      headers: account.auth,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBeDefined();
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
