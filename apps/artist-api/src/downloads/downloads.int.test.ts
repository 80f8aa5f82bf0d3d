import { randomBytes } from 'node:crypto';
import { type RunningServer, serve } from '@single/http';
import { silentLogger } from '@single/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedArtist, seedPaidOrder, seedRelease, seedShop, writeArchive } from '../test-support/seed.ts';
import { createS3Client, s3AudioStorage } from './storage.ts';

describe('download redemption over HTTP', () => {
  let h: Harness;
  let server: RunningServer;
  let releaseId: string;
  let shopDomain: string;
  const archive = randomBytes(64 * 1024);

  beforeAll(async () => {
    h = await startHarness({ limits: { downloadsPerIpPerMinute: 1_000, downloadsPerTokenPerMinute: 1_000 } });
    const account = await seedAccount(h.pool, 'Downloads');
    shopDomain = 'downloads.myshopify.com';
    await seedShop(h.pool, account.accountId, shopDomain);
    const release = await seedRelease(h.pool, await seedArtist(h.pool, account.accountId), { title: 'Big Album' });
    releaseId = release.id;
    await writeArchive(h.storageDir, releaseId, 'flac', archive);
    server = await serve(h.api, { host: '127.0.0.1', port: 0, logger: silentLogger(), shutdownTimeoutMs: 5_000 });
  });
  afterAll(async () => {
    await server?.shutdown();
    await h?.close();
  });

  it('streams the file, records each download, emits sale.redeemed once, then 410 at the limit', async () => {
    const { token, grantId } = await seedPaidOrder(h.pool, { shopDomain, releaseId, downloadLimit: 2 });
    const first = await fetch(`${server.address}/d/${token}?format=flac`, {
      headers: { 'x-forwarded-for': '198.51.100.23' },
    });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-disposition')).toContain('Big Album (FLAC).zip');
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(Buffer.from(await first.arrayBuffer()).equals(archive)).toBe(true);

    const second = await fetch(`${server.address}/d/${token}?format=flac`);
    expect(second.status).toBe(200);
    await second.arrayBuffer();

    const third = await fetch(`${server.address}/d/${token}?format=flac`);
    expect(third.status).toBe(410);
    expect(third.headers.get('content-type')).toContain('application/problem+json');
    expect(((await third.json()) as { code: string }).code).toBe('download_limit_reached');

    const downloads = await h.pool.query('SELECT format, client_ip FROM download WHERE grant_id = $1 ORDER BY id', [
      grantId,
    ]);
    // the socket peer 127.0.0.1 is a trusted proxy: the client is the X-Forwarded-For address; without the header, nobody
    expect(downloads.rows).toEqual([
      { format: 'flac', client_ip: '198.51.100.23' },
      { format: 'flac', client_ip: null },
    ]);
    const grant = await h.pool.query('SELECT downloads_used FROM download_grant WHERE id = $1', [grantId]);
    expect(grant.rows[0].downloads_used).toBe(2);
    const events = await h.pool.query(
      `SELECT topic, key, payload FROM sales_outbox WHERE payload->>'type' = 'sale.redeemed'`,
    );
    expect(events.rows).toHaveLength(1);
    expect(events.rows[0]).toMatchObject({
      topic: 'sales.v1',
      payload: { version: 1, type: 'sale.redeemed', releaseId, quantity: 1, unitPriceNet: '9.99', currency: 'USD' },
    });
    expect(events.rows[0].payload.fan).toMatchObject({ billingZip: '98354', billingCountry: 'US' });
    expect(JSON.stringify(events.rows[0].payload)).not.toContain('fan@example.com');
  });

  it('never counts more downloads than the limit under concurrent requests', async () => {
    const { token, grantId } = await seedPaidOrder(h.pool, { shopDomain, releaseId, downloadLimit: 3 });
    const statuses = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const res = await fetch(`${server.address}/d/${token}?format=flac`);
        await res.arrayBuffer();
        return res.status;
      }),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.filter((s) => s === 410)).toHaveLength(5);
    const { rows } = await h.pool.query('SELECT count(*)::int AS n FROM download WHERE grant_id = $1', [grantId]);
    expect(rows[0].n).toBe(3);
  });

  it.each([
    ['an unknown token', async () => randomBytes(32).toString('base64url'), 404, 'not_found'],
    ['a malformed token', async () => 'x', 404, 'not_found'],
    [
      'a revoked grant',
      async () => (await seedPaidOrder(h.pool, { shopDomain, releaseId, status: 'revoked' })).token,
      404,
      'not_found',
    ],
    [
      'a scheduled grant',
      async () => (await seedPaidOrder(h.pool, { shopDomain, releaseId, status: 'scheduled' })).token,
      404,
      'not_found',
    ],
    [
      'an expired grant',
      async () =>
        (await seedPaidOrder(h.pool, { shopDomain, releaseId, expiresAt: new Date(Date.now() - 1000) })).token,
      410,
      'download_expired',
    ],
    [
      'a grant marked expired',
      async () => (await seedPaidOrder(h.pool, { shopDomain, releaseId, status: 'expired' })).token,
      410,
      'download_expired',
    ],
  ])('answers %s with %s', async (_name, tokenOf, status, code) => {
    const res = await fetch(`${server.address}/d/${await tokenOf()}?format=flac`);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { code: string }).code).toBe(code);
  });

  it('answers 503 without counting when the archive is missing', async () => {
    const { token, grantId } = await seedPaidOrder(h.pool, { shopDomain, releaseId });
    const res = await fetch(`${server.address}/d/${token}?format=wav`);
    expect(res.status).toBe(503);
    const { rows } = await h.pool.query('SELECT downloads_used FROM download_grant WHERE id = $1', [grantId]);
    expect(rows[0].downloads_used).toBe(0);
  });

  it('rejects an unknown format', async () => {
    const { token } = await seedPaidOrder(h.pool, { shopDomain, releaseId });
    expect((await fetch(`${server.address}/d/${token}?format=ogg`)).status).toBe(400);
  });
});

describe('download redemption limits and S3', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      limits: { downloadsPerIpPerMinute: 4, downloadsPerTokenPerMinute: 2 },
      storage: s3AudioStorage({
        bucket: 'single-audio',
        expiresInSeconds: 300,
        client: createS3Client({
          region: 'eu-west-1',
          credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
        }),
      }),
    });
  });
  afterAll(() => h?.close());

  it('redirects to a presigned S3 URL naming the file', async () => {
    const account = await seedAccount(h.pool, 'S3');
    await seedShop(h.pool, account.accountId, 's3.myshopify.com');
    const release = await seedRelease(h.pool, await seedArtist(h.pool, account.accountId), { title: 'Cloud' });
    const { token } = await seedPaidOrder(h.pool, { shopDomain: 's3.myshopify.com', releaseId: release.id });
    const res = await h.api.app.inject({ url: `/d/${token}?format=alac`, remoteAddress: '203.0.113.50' });
    expect(res.statusCode).toBe(302);
    const location = new URL(res.headers.location as string);
    expect(location.hostname).toBe('single-audio.s3.eu-west-1.amazonaws.com');
    expect(location.pathname).toBe(`/${release.id}/alac.zip`);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(location.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(location.searchParams.get('response-content-disposition')).toContain('Cloud (ALAC).zip');

    // per token: 2 per minute (the third is limited before the grant is even looked up)
    expect((await h.api.app.inject({ url: `/d/${token}`, remoteAddress: '203.0.113.50' })).statusCode).toBe(302);
    const limited = await h.api.app.inject({ url: `/d/${token}`, remoteAddress: '203.0.113.51' });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('rate_limited');
  });

  it('limits guesses per client IP', async () => {
    const guesses = [];
    for (let i = 0; i < 5; i++) {
      guesses.push(
        (await h.api.app.inject({ url: `/d/${randomBytes(32).toString('base64url')}`, remoteAddress: '192.0.2.77' }))
          .statusCode,
      );
    }
    expect(guesses).toEqual([404, 404, 404, 404, 429]);
  });
});
