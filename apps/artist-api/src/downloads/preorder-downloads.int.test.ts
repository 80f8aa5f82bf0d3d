import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedArtist, seedPaidOrder, seedRelease, seedShop, writeAudio } from '../test-support/seed.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// A pre-order with an "instant grat" track out now, one track out at the release, one in between (a
// cascading release). The route reads the clock through the app's `now`.
describe('a pre-order link serves each file from its own instant', () => {
  let h: Harness;
  let clock: Date;
  // In the real future: seeded grants open at the database's now(), before this test clock.
  const t0 = new Date(Math.ceil(Date.now() / HOUR) * HOUR + DAY);
  const releaseInstant = new Date(t0.getTime() + 10 * DAY);
  const cascadeInstant = new Date(t0.getTime() + 5 * DAY);
  let releaseId: string;
  let trackIds: string[];
  let auth: { authorization: string };
  const shopDomain = 'preorders.myshopify.com';
  const archive = randomBytes(4096);
  const trackBytes = [randomBytes(1024), randomBytes(1024), randomBytes(1024)];

  beforeAll(async () => {
    h = await startHarness({ now: () => clock, downloadFileLinkTtlMs: 60_000 });
    const account = await seedAccount(h.pool, 'Pre-orders');
    auth = account.auth;
    await seedShop(h.pool, account.accountId, shopDomain);
    const release = await seedRelease(h.pool, await seedArtist(h.pool, account.accountId), {
      title: 'Night Ferry',
      releaseInstant,
      tracks: [
        { title: 'Harbor Lights', releaseInstant: new Date(t0.getTime() - HOUR) },
        { title: 'Night Ferry' },
        { title: 'Last Light', releaseInstant: cascadeInstant },
      ],
    });
    releaseId = release.id;
    trackIds = release.trackIds;
    await writeAudio(h.storageDir, { releaseId, format: 'flac', track: null }, archive);
    for (const [i, bytes] of trackBytes.entries()) {
      await writeAudio(h.storageDir, { releaseId, format: 'flac', track: i + 1 }, bytes, h.pool);
    }
  });
  afterAll(() => h?.close());

  const page = async (token: string) => {
    const res = await h.api.app.inject({ url: `/d/${token}`, headers: { accept: 'application/json' } });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const button = (token: string, fields: { format: string; track?: string }) =>
    h.api.app.inject({ method: 'POST', url: `/d/${token}/download`, payload: fields });
  const fetchFile = async (token: string, fields: { format: string; track?: string }) => {
    const res = await button(token, fields);
    expect(res.statusCode, res.body).toBe(303);
    return {
      location: res.headers.location as string,
      file: await h.api.app.inject({ url: res.headers.location as string }),
    };
  };
  const used = async (grantId: string) =>
    (
      await h.pool.query(
        `SELECT g.downloads_used, (SELECT count(*)::int FROM download d WHERE d.grant_id = g.id) AS downloads
         FROM download_grant g WHERE g.id = $1`,
        [grantId],
      )
    ).rows[0];

  it('before the release instant: the instant-grat track and when the rest arrives, never the archive', async () => {
    clock = t0;
    // `active` is what the worker wrote before this change (the grant opened at the first track instant),
    // and the old route then served the whole archive to `GET /d/:token?format=flac`.
    for (const status of ['active', 'scheduled']) {
      const { token, grantId } = await seedPaidOrder(h.pool, { shopDomain, releaseId, status, expiresAt: null });
      const old = await h.api.app.inject({ url: `/d/${token}?format=flac` });
      expect(old.headers['content-type']).toContain('application/json');
      expect(old.rawPayload.includes(archive.subarray(0, 64))).toBe(false);

      expect(await page(token)).toMatchObject({
        release: { id: releaseId, title: 'Night Ferry' },
        scope: 'release',
        downloadsLeft: 3,
        archive: { available: false, availableAt: releaseInstant.toISOString() },
        tracks: [
          { position: 1, title: 'Harbor Lights', available: true },
          { position: 2, title: 'Night Ferry', available: false, availableAt: releaseInstant.toISOString() },
          { position: 3, title: 'Last Light', available: false, availableAt: cascadeInstant.toISOString() },
        ],
        nextAvailableAt: cascadeInstant.toISOString(),
      });
      const html = await h.api.app.inject({ url: `/d/${token}`, headers: { accept: 'text/html' } });
      expect(html.body).toContain('Harbor Lights');
      const day = new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: 'America/New_York' });
      expect(html.body).toContain(`Arrives on ${day.format(releaseInstant)}`);

      for (const track of [undefined, '2', '3']) {
        const refused = await button(token, { format: 'flac', ...(track ? { track } : {}) });
        expect(refused.statusCode).toBe(409);
        expect(refused.json()).toMatchObject({
          code: 'not_available_yet',
          availableAt: (track === '3' ? cascadeInstant : releaseInstant).toISOString(),
        });
      }
      expect(await used(grantId)).toEqual({ downloads_used: 0, downloads: 0 });

      const { file } = await fetchFile(token, { format: 'flac', track: '1' });
      expect(file.statusCode).toBe(200);
      expect(file.headers['content-type']).toBe('audio/flac');
      expect(file.headers['content-disposition']).toContain('01 Harbor Lights (FLAC).flac');
      expect(file.rawPayload.equals(trackBytes[0]!)).toBe(true);
      expect(await used(grantId)).toEqual({ downloads_used: 1, downloads: 1 });
    }
  });

  it('each later file from its own instant, the archive from the release instant; file links expire', async () => {
    clock = t0;
    const { token } = await seedPaidOrder(h.pool, { shopDomain, releaseId, status: 'scheduled', expiresAt: null });
    clock = cascadeInstant;
    expect((await page(token)).tracks.map((t: { available: boolean }) => t.available)).toEqual([true, false, true]);
    const third = await fetchFile(token, { format: 'flac', track: '3' });
    expect(third.file.rawPayload.equals(trackBytes[2]!)).toBe(true);
    expect((await button(token, { format: 'flac' })).statusCode).toBe(409);

    clock = releaseInstant;
    expect(await page(token)).toMatchObject({ archive: { available: true }, nextAvailableAt: null });
    const whole = await fetchFile(token, { format: 'flac' });
    expect(whole.file.headers['content-disposition']).toContain('Night Ferry (FLAC).zip');
    expect(whole.file.rawPayload.equals(archive)).toBe(true);

    // Within the window the file link serves again (a resumed download); after it, ask the page again.
    clock = new Date(releaseInstant.getTime() + 59_000);
    expect((await h.api.app.inject({ url: whole.location })).statusCode).toBe(200);
    clock = new Date(releaseInstant.getTime() + 60_000);
    const expired = await h.api.app.inject({ url: whole.location });
    expect([expired.statusCode, expired.json().code]).toEqual([410, 'download_link_expired']);
  });

  it("a track sale's grant serves only its track, from that track's instant", async () => {
    clock = t0;
    const { token } = await seedPaidOrder(h.pool, {
      shopDomain,
      releaseId,
      status: 'scheduled',
      trackId: trackIds[2]!,
    });
    expect(await page(token)).toMatchObject({
      scope: 'track',
      archive: null,
      tracks: [{ position: 3, title: 'Last Light', available: false, availableAt: cascadeInstant.toISOString() }],
    });
    expect((await button(token, { format: 'flac', track: '3' })).statusCode).toBe(409);
    for (const fields of [{ format: 'flac' }, { format: 'flac', track: '1' }]) {
      const refused = await button(token, fields);
      expect([refused.statusCode, refused.json().code]).toEqual([404, 'file_not_found']);
    }
    clock = releaseInstant;
    const refused = await button(token, { format: 'flac' });
    expect([refused.statusCode, refused.json().code]).toEqual([404, 'file_not_found']);
    const { file } = await fetchFile(token, { format: 'flac', track: '3' });
    expect(file.rawPayload.equals(trackBytes[2]!)).toBe(true);
  });

  it('follows the catalogue when the artist moves the release or a track, earlier or later', async () => {
    clock = t0;
    const { token } = await seedPaidOrder(h.pool, { shopDomain, releaseId, status: 'scheduled' });
    const sold = await seedPaidOrder(h.pool, { shopDomain, releaseId, status: 'scheduled', trackId: trackIds[2]! });
    const patch = async (body: object) => {
      const res = await h.api.app.inject({
        method: 'PATCH',
        url: `/v1/releases/${releaseId}`,
        headers: auth,
        payload: body,
      });
      expect(res.statusCode, res.body).toBe(200);
    };
    const tracks = (third: Date | null) => [
      {
        position: 1,
        title: 'Harbor Lights',
        isrc: 'USS1Z2600001',
        releaseInstant: new Date(t0.getTime() - HOUR).toISOString(),
      },
      { position: 2, title: 'Night Ferry', isrc: 'USS1Z2600002' },
      { position: 3, title: 'Last Light', isrc: 'USS1Z2600003', releaseInstant: third?.toISOString() ?? null },
    ];
    // Earlier: the release and its last track out now.
    await patch({ releaseInstant: new Date(t0.getTime() - 60_000).toISOString(), tracks: tracks(null) });
    expect(await page(token)).toMatchObject({ archive: { available: true }, nextAvailableAt: null });
    expect((await page(sold.token)).tracks[0]).toMatchObject({ position: 3, available: true });
    // Later again: nothing but the instant-grat track, whatever the grant's status says.
    await patch({ releaseInstant: releaseInstant.toISOString(), tracks: tracks(cascadeInstant) });
    expect(await page(token)).toMatchObject({
      archive: { available: false, availableAt: releaseInstant.toISOString() },
      nextAvailableAt: cascadeInstant.toISOString(),
    });
    expect((await button(token, { format: 'flac' })).statusCode).toBe(409);
    expect((await page(sold.token)).tracks[0]).toMatchObject({ position: 3, available: false });
    // The dashboard shows each scheduled grant's opening as the catalogue has it now.
    const order = await h.api.app.inject({ url: `/v1/orders/${sold.orderId}`, headers: auth });
    expect(order.statusCode, order.body).toBe(200);
    const grants = order.json().lines.flatMap((l: { grants: { activateAt: string }[] }) => l.grants);
    expect(grants.map((g: { activateAt: string }) => g.activateAt)).toEqual([cascadeInstant.toISOString()]);
    // The sold track keeps its row; removing it is refused while its grant exists.
    const { rows } = await h.pool.query('SELECT id FROM track WHERE release_id = $1 ORDER BY position', [releaseId]);
    expect(rows.map((r) => r.id)).toEqual(trackIds);
    const removed = await h.api.app.inject({
      method: 'PATCH',
      url: `/v1/releases/${releaseId}`,
      headers: auth,
      payload: { tracks: tracks(cascadeInstant).slice(0, 2) },
    });
    expect([removed.statusCode, removed.json().code]).toEqual([409, 'track_in_use']);
  });
});
