import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedArtist, seedPaidOrder, seedRelease, seedShop, writeAudio } from '../test-support/seed.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// The fan's allowance is per file, and a file link is checked again on every request.
describe('download allowances per file, and file links checked on every request', () => {
  let h: Harness;
  let clock: Date;
  let auth: { authorization: string };
  const t0 = new Date(Math.ceil(Date.now() / HOUR) * HOUR + DAY);
  const releaseInstant = new Date(t0.getTime() + 10 * DAY);
  const shopDomain = 'allowances.myshopify.com';
  let releaseId: string;
  const archive = randomBytes(2048);
  const early = randomBytes(1000);
  const tracks = [
    { position: 1, title: 'Early Bird', isrc: 'USS1Z2600001', releaseInstant: new Date(t0.getTime() - HOUR) },
    { position: 2, title: 'Main Event', isrc: 'USS1Z2600002', releaseInstant: null },
  ];

  beforeAll(async () => {
    h = await startHarness({
      now: () => clock,
      downloadFileLinkTtlMs: 10 * DAY,
      limits: { downloadsPerIpPerMinute: 10_000, downloadsPerTokenPerMinute: 10_000 },
    });
    const account = await seedAccount(h.pool, 'Allowances');
    auth = account.auth;
    await seedShop(h.pool, account.accountId, shopDomain);
    const release = await seedRelease(h.pool, await seedArtist(h.pool, account.accountId), {
      title: 'Early and Late',
      releaseInstant,
      tracks,
    });
    releaseId = release.id;
    await writeAudio(h.storageDir, { releaseId, format: 'flac', track: null }, archive);
    await writeAudio(h.storageDir, { releaseId, format: 'flac', track: 1 }, early, h.pool);
    await writeAudio(h.storageDir, { releaseId, format: 'flac', track: 2 }, randomBytes(1000), h.pool);
  });
  afterAll(() => h?.close());

  const page = async (token: string) => {
    const res = await h.api.app.inject({ url: `/d/${token}`, headers: { accept: 'application/json' } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const button = (token: string, payload: Record<string, unknown>, json = false) =>
    h.api.app.inject({
      method: 'POST',
      url: `/d/${token}/download`,
      payload,
      ...(json ? {} : { headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      ...(json ? {} : { payload: new URLSearchParams(payload as Record<string, string>).toString() }),
    });
  const link = async (token: string, fields: Record<string, string>) => {
    const res = await button(token, fields);
    expect(res.statusCode, res.body).toBe(303);
    return res.headers.location as string;
  };
  const redeemed = async (orderId: string) =>
    (
      await h.pool.query(
        `SELECT count(*)::int AS n FROM sales_outbox WHERE payload->>'type' = 'sale.redeemed' AND payload->>'orderId' = $1`,
        [orderId],
      )
    ).rows[0].n;
  const patchRelease = async (instant: Date) => {
    const res = await h.api.app.inject({
      method: 'PATCH',
      url: `/v1/releases/${releaseId}`,
      headers: auth,
      payload: { releaseInstant: instant.toISOString() },
    });
    expect(res.statusCode, res.body).toBe(200);
  };

  it('downloading the instant-grat track up to its limit leaves the album its own allowance', async () => {
    clock = t0;
    const order = await seedPaidOrder(h.pool, { shopDomain, releaseId, status: 'scheduled', expiresAt: null });
    for (let i = 0; i < 3; i++) await link(order.token, { format: 'flac', track: '1' });
    const fourth = await button(order.token, { format: 'flac', track: '1' });
    expect([fourth.statusCode, fourth.json().code]).toEqual([410, 'download_limit_reached']);
    expect(await page(order.token)).toMatchObject({
      downloadLimit: 3,
      archive: { available: false, downloadsLeft: 3 },
      tracks: [
        { position: 1, available: true, downloadsLeft: 0 },
        { position: 2, available: false, downloadsLeft: 3 },
      ],
    });
    const html = await h.api.app.inject({ url: `/d/${order.token}`, headers: { accept: 'text/html' } });
    expect(html.body).toContain('no downloads left (0 of 3 downloads left)');
    // The grant's first counted download redeemed the unit, once.
    expect(await redeemed(order.shopifyOrderId)).toBe(1);

    clock = releaseInstant;
    expect(await page(order.token)).toMatchObject({
      downloadsLeft: 3,
      archive: { available: true, downloadsLeft: 3 },
      tracks: [{ downloadsLeft: 0 }, { available: true, downloadsLeft: 3 }],
    });
    for (let i = 0; i < 3; i++) {
      const file = await h.api.app.inject({ url: await link(order.token, { format: 'flac' }) });
      expect(file.rawPayload.equals(archive)).toBe(true);
    }
    expect((await button(order.token, { format: 'flac' })).json().code).toBe('download_limit_reached');
    expect((await page(order.token)).archive.downloadsLeft).toBe(0);
    expect(await redeemed(order.shopifyOrderId)).toBe(1);
  });

  it('a file link stops serving when its file moves back into the future, the grant is revoked or expires, or its track leaves the release', async () => {
    clock = releaseInstant;
    const order = await seedPaidOrder(h.pool, { shopDomain, releaseId, downloadLimit: 10 });
    const whole = await link(order.token, { format: 'flac' });
    const first = await link(order.token, { format: 'flac', track: '1' });
    expect((await h.api.app.inject({ url: whole })).statusCode).toBe(200);

    // The artist moves the release a week later: the archive is not out any more, the early track still is.
    const later = new Date(releaseInstant.getTime() + 7 * DAY);
    await patchRelease(later);
    const moved = await h.api.app.inject({ url: whole });
    expect([moved.statusCode, moved.json()]).toEqual([
      409,
      expect.objectContaining({ code: 'not_available_yet', availableAt: later.toISOString() }),
    ]);
    expect((await h.api.app.inject({ url: first })).statusCode).toBe(200);
    await patchRelease(releaseInstant);
    expect((await h.api.app.inject({ url: whole })).statusCode).toBe(200);

    // Expired grant: 410 download_expired; revoked: looks unknown.
    await h.pool.query(`UPDATE download_grant SET expires_at = $2 WHERE id = $1`, [order.grantId, clock]);
    const expired = await h.api.app.inject({ url: whole });
    expect([expired.statusCode, expired.json().code]).toEqual([410, 'download_expired']);
    await h.pool.query(`UPDATE download_grant SET expires_at = NULL, status = 'revoked' WHERE id = $1`, [
      order.grantId,
    ]);
    const revoked = await h.api.app.inject({ url: whole, method: 'HEAD' });
    expect(revoked.statusCode).toBe(404);
    await h.pool.query(`UPDATE download_grant SET status = 'active' WHERE id = $1`, [order.grantId]);

    // Early Bird leaves the release (nothing sold it on its own): its link is no file of this grant any more.
    const res = await h.api.app.inject({
      method: 'PATCH',
      url: `/v1/releases/${releaseId}`,
      headers: auth,
      payload: { tracks: [{ position: 1, title: 'Main Event', isrc: 'USS1Z2600002' }] },
    });
    expect(res.statusCode, res.body).toBe(200);
    const gone = await h.api.app.inject({ url: first });
    expect([gone.statusCode, gone.json().code]).toEqual([404, 'file_not_found']);
    // Put it back for the other cases (a new row: the old download stays history).
    await h.api.app.inject({
      method: 'PATCH',
      url: `/v1/releases/${releaseId}`,
      headers: auth,
      payload: {
        tracks: tracks.map((t) => ({ ...t, releaseInstant: t.releaseInstant?.toISOString() ?? null })),
      },
    });
  });

  it('answers 416 and 412 as problem+json; several ranges get the whole file', async () => {
    clock = releaseInstant;
    const order = await seedPaidOrder(h.pool, { shopDomain, releaseId, downloadLimit: 10 });
    const url = await link(order.token, { format: 'flac' });
    const beyond = await h.api.app.inject({ url, headers: { range: `bytes=${archive.length + 10}-` } });
    expect(beyond.statusCode).toBe(416);
    expect(beyond.headers['content-type']).toContain('application/problem+json');
    expect(beyond.json().code).toBe('range_not_satisfiable');
    expect(beyond.headers['content-range']).toBe(`bytes */${archive.length}`);
    const failed = await h.api.app.inject({ url, headers: { 'if-match': '"not-this-one"' } });
    expect([failed.statusCode, failed.json().code]).toEqual([412, 'precondition_failed']);
    expect(failed.headers['content-type']).toContain('application/problem+json');
    const several = await h.api.app.inject({ url, headers: { range: 'bytes=0-9,20-29' } });
    expect(several.statusCode).toBe(200);
    expect(several.rawPayload.equals(archive)).toBe(true);
    const one = await h.api.app.inject({ url, headers: { range: 'bytes=0-9' } });
    expect([one.statusCode, one.rawPayload.equals(archive.subarray(0, 10))]).toEqual([206, true]);
  });

  it('reads the track field only as a JSON integer or a form string of decimal digits', async () => {
    clock = releaseInstant;
    const order = await seedPaidOrder(h.pool, { shopDomain, releaseId, downloadLimit: 50 });
    for (const track of [true, [1], '0x1', '1e0', ' 1', '+1', '1.0', 1.5, 0, '0', -1, '', 'one']) {
      if (track === '') continue; // empty = the archive (a form's "whole release")
      const res = await button(order.token, { format: 'flac', track }, true);
      expect([track, res.statusCode]).toEqual([track, 400]);
    }
    for (const track of ['0x1', '1e0', ' 1', '+1', '1.0', '0', 'one', '1&track=2']) {
      const res = await button(order.token, { format: 'flac', track });
      expect([track, res.statusCode]).toEqual([track, 400]);
    }
    const used = await h.pool.query('SELECT count(*)::int AS n FROM download WHERE grant_id = $1', [order.grantId]);
    expect(used.rows[0].n).toBe(0);
    expect((await button(order.token, { format: 'flac', track: 1 }, true)).statusCode).toBe(303);
    expect((await button(order.token, { format: 'flac', track: '2' })).statusCode).toBe(303);
    expect((await button(order.token, { format: 'flac', track: '01' })).statusCode).toBe(303);
    expect((await button(order.token, { format: 'flac', track: '' })).statusCode).toBe(303);
  });
});
