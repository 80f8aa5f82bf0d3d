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

  /** The fan's button on the landing page: a form POST, then (fetch follows the 303) the file link. */
  const download = (token: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${server.address}/d/${token}/download`, { method: 'POST', body: new URLSearchParams(fields), headers });

  it('streams the file, records each download, emits sale.redeemed once, then 410 at the limit', async () => {
    const { token, grantId } = await seedPaidOrder(h.pool, { shopDomain, releaseId, downloadLimit: 2 });
    const first = await download(token, { format: 'flac' }, { 'x-forwarded-for': '198.51.100.23' });
    expect(first.status).toBe(200);
    expect(first.redirected).toBe(true);
    expect(first.headers.get('content-disposition')).toContain('Big Album (FLAC).zip');
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.headers.get('referrer-policy')).toBe('no-referrer');
    expect(Buffer.from(await first.arrayBuffer()).equals(archive)).toBe(true);

    const second = await download(token, { format: 'flac', track: '' });
    expect(second.status).toBe(200);
    await second.arrayBuffer();

    const third = await download(token, { format: 'flac' });
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
        const res = await download(token, { format: 'flac' });
        await res.arrayBuffer();
        return res.status;
      }),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.filter((s) => s === 410)).toHaveLength(5);
    const { rows } = await h.pool.query('SELECT count(*)::int AS n FROM download WHERE grant_id = $1', [grantId]);
    expect(rows[0].n).toBe(3);
  });

  it('counts nothing for link scanners and HEAD; the button counts once, and its file link serves ranges without counting', async () => {
    const { token, grantId, shopifyOrderId } = await seedPaidOrder(h.pool, { shopDomain, releaseId, downloadLimit: 3 });
    const tally = async () =>
      (
        await h.pool.query(
          `SELECT g.downloads_used AS used, (SELECT count(*)::int FROM download d WHERE d.grant_id = g.id) AS downloads,
                  (SELECT count(*)::int FROM sales_outbox s WHERE s.payload->>'type' = 'sale.redeemed'
                     AND s.payload->>'orderId' = $2) AS redeemed
           FROM download_grant g WHERE g.id = $1`,
          [grantId, shopifyOrderId],
        )
      ).rows[0];

    // What mail scanners and link previews do: HEAD, GET with any Accept, the old `?format=` link, following
    // the form's action with a GET. None of it sends a file or counts.
    const link = `${server.address}/d/${token}`;
    for (const [method, url, accept] of [
      ['HEAD', link, '*/*'],
      ['HEAD', `${link}?format=flac`, 'text/html'],
      ['GET', link, '*/*'],
      ['GET', `${link}?format=flac`, 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
      ['GET', `${link}/download`, '*/*'],
    ] as const) {
      const res = await fetch(url, { method, headers: { accept, range: 'bytes=0-' } });
      const body = Buffer.from(await res.arrayBuffer());
      expect(res.headers.get('content-type') ?? '', `${method} ${url}`).not.toContain('zip');
      expect(body.includes(archive.subarray(0, 64)), `${method} ${url}`).toBe(false);
      if (!url.endsWith('/download')) expect(res.headers.get('cache-control')).toBe('no-store');
    }
    expect(await tally()).toEqual({ used: 0, downloads: 0, redeemed: 0 });

    // The page for a browser: one POST form per file, nothing fetched from elsewhere.
    const page = await fetch(link, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await page.text()).toContain(`<form method="post" action="/d/${token}/download">`);
    const view = (await (await fetch(link, { headers: { accept: 'application/json' } })).json()) as {
      downloadsLeft: number;
      archive: { available: boolean };
    };
    expect(view).toMatchObject({ downloadsLeft: 3, archive: { available: true } });

    // The fan's button (a JSON client here): one download counted, a file link back.
    const button = await fetch(`${link}/download`, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ format: 'flac' }),
    });
    expect(button.status).toBe(200);
    const { url } = (await button.json()) as { url: string };
    expect(await tally()).toEqual({ used: 1, downloads: 1, redeemed: 1 });

    // The download manager: HEAD, ranges, a resumed request, the whole file again. Counted once in all.
    const head = await fetch(`${server.address}${url}`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), head.headers.get('accept-ranges')]).toEqual([
      200,
      String(archive.length),
      'bytes',
    ]);
    const part = await fetch(`${server.address}${url}`, { headers: { range: 'bytes=100-1123' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 100-1123/${archive.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(archive.subarray(100, 1124))).toBe(true);
    const rest = await fetch(`${server.address}${url}`, { headers: { range: 'bytes=1124-' } });
    expect(Buffer.from(await rest.arrayBuffer()).equals(archive.subarray(1124))).toBe(true);
    const whole = await fetch(`${server.address}${url}`);
    expect(Buffer.from(await whole.arrayBuffer()).equals(archive)).toBe(true);
    expect(await tally()).toEqual({ used: 1, downloads: 1, redeemed: 1 });

    // A file link is bound to its link's token: another grant's token cannot use it.
    const other = await seedPaidOrder(h.pool, { shopDomain, releaseId });
    const key = url.split('/').at(-1);
    expect((await fetch(`${server.address}/d/${other.token}/file/${key}`)).status).toBe(404);
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
  ])('answers %s with %s, on the page and on the button', async (_name, tokenOf, status, code) => {
    const token = await tokenOf();
    const page = await fetch(`${server.address}/d/${token}`);
    expect(page.status).toBe(status);
    expect(((await page.json()) as { code: string }).code).toBe(code);
    const button = await download(token, { format: 'flac' });
    expect(button.status).toBe(status);
    expect(((await button.json()) as { code: string }).code).toBe(code);
    // A browser gets a page it can show, with the same status.
    const html = await fetch(`${server.address}/d/${token}`, { headers: { accept: 'text/html' } });
    expect([html.status, html.headers.get('content-type')]).toEqual([status, 'text/html; charset=utf-8']);
  });

  it('answers 503 without counting when the archive is missing', async () => {
    const { token, grantId } = await seedPaidOrder(h.pool, { shopDomain, releaseId });
    const res = await download(token, { format: 'wav' });
    expect(res.status).toBe(503);
    const { rows } = await h.pool.query('SELECT downloads_used FROM download_grant WHERE id = $1', [grantId]);
    expect(rows[0].downloads_used).toBe(0);
  });

  it('rejects an unknown format', async () => {
    const { token, grantId } = await seedPaidOrder(h.pool, { shopDomain, releaseId });
    const res = await download(token, { format: 'ogg' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('validation_failed');
    expect((await download(token, { format: 'flac', track: 'x' })).status).toBe(400);
    const { rows } = await h.pool.query('SELECT downloads_used FROM download_grant WHERE id = $1', [grantId]);
    expect(rows[0].downloads_used).toBe(0);
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
    const button = await h.api.app.inject({
      method: 'POST',
      url: `/d/${token}/download`,
      payload: { format: 'alac' },
      remoteAddress: '203.0.113.50',
    });
    expect(button.statusCode, button.body).toBe(303);
    const res = await h.api.app.inject({ url: button.headers.location as string, remoteAddress: '203.0.113.50' });
    expect(res.statusCode).toBe(302);
    const location = new URL(res.headers.location as string);
    expect(location.hostname).toBe('single-audio.s3.eu-west-1.amazonaws.com');
    expect(location.pathname).toBe(`/${release.id}/alac.zip`);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(location.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(location.searchParams.get('response-content-disposition')).toContain('Cloud (ALAC).zip');

    // per token: 2 per minute (the third is limited before the grant is even looked up); the file link is
    // limited per IP only (a segmented download asks for many ranges)
    expect((await h.api.app.inject({ url: `/d/${token}`, remoteAddress: '203.0.113.50' })).statusCode).toBe(200);
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
