import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedArtist, seedPaidOrder, seedShop, uniqueUpc, writeAudio } from '../test-support/seed.ts';

// A track is its ISRC: a release PATCH that reorders tracks keeps each track row (and what a track sale,
// its mapping, its grant and its stored file name), and one that leaves out a sold track is refused.
describe('release PATCH: tracks matched by ISRC', () => {
  let h: Harness;
  let auth: Record<string, string>;
  let artistId: string;
  const shopDomain = 'tracks.myshopify.com';
  const A = { title: 'Alpha', isrc: 'USS1Z2600101' };
  const B = { title: 'Bravo', isrc: 'USS1Z2600102' };
  const C = { title: 'Charlie', isrc: 'USS1Z2600103' };
  const bytes = { [A.isrc]: randomBytes(512), [B.isrc]: randomBytes(512), [C.isrc]: randomBytes(512) };

  beforeAll(async () => {
    h = await startHarness();
    const account = await seedAccount(h.pool, 'Tracks');
    auth = account.auth;
    artistId = await seedArtist(h.pool, account.accountId);
    await seedShop(h.pool, account.accountId, shopDomain);
  });
  afterAll(() => h?.close());

  const call = (method: 'POST' | 'PATCH' | 'GET', url: string, payload?: object) =>
    h.api.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });
  const at = (position: number, t: { title: string; isrc: string }) => ({ position, ...t });

  async function release(tracks: { position: number; title: string; isrc: string }[]) {
    const res = await call('POST', '/v1/releases', {
      artistId,
      title: 'Alphabet',
      upc: uniqueUpc(),
      releaseInstant: '2026-01-16T05:00:00Z',
      tracks,
    });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json() as { id: string; tracks: { id: string; isrc: string; position: number }[] };
    for (const t of tracks) {
      await writeAudio(h.storageDir, { releaseId: created.id, format: 'mp3', track: { isrc: t.isrc } }, bytes[t.isrc]!);
    }
    const id = (isrc: string) => created.tracks.find((t) => t.isrc === isrc)!.id;
    return { releaseId: created.id, id };
  }

  const fileOf = async (token: string, track: string) => {
    const res = await h.api.app.inject({
      method: 'POST',
      url: `/d/${token}/download`,
      payload: { format: 'mp3', track },
    });
    expect(res.statusCode, res.body).toBe(303);
    return res.headers.location as string;
  };

  it('a reorder keeps each track: the track sale, its mapping and file links still deliver the same recording', async () => {
    const { releaseId, id } = await release([at(1, A), at(2, B)]);
    const mapping = await call('POST', '/v1/product-mappings', {
      shopDomain,
      variantId: '8100000000201',
      releaseId,
      trackId: id(B.isrc),
    });
    expect(mapping.statusCode, mapping.body).toBe(201);
    const trackSale = await seedPaidOrder(h.pool, { shopDomain, releaseId, trackId: id(B.isrc) });
    const album = await seedPaidOrder(h.pool, { shopDomain, releaseId });
    // A file link issued before the reorder: Alpha, then at position 1.
    const alphaLink = await fileOf(album.token, '1');

    const swapped = await call('PATCH', `/v1/releases/${releaseId}`, { tracks: [at(1, B), at(2, A)] });
    expect(swapped.statusCode, swapped.body).toBe(200);
    expect(swapped.json().tracks.map((t: { id: string; isrc: string }) => [t.isrc, t.id])).toEqual([
      [B.isrc, id(B.isrc)],
      [A.isrc, id(A.isrc)],
    ]);

    // The track sale still serves Bravo, now at position 1.
    const page = await h.api.app.inject({ url: `/d/${trackSale.token}`, headers: { accept: 'application/json' } });
    expect(page.json().tracks).toMatchObject([{ position: 1, title: B.title }]);
    const bravo = await h.api.app.inject({ url: await fileOf(trackSale.token, '1') });
    expect(bravo.rawPayload.equals(bytes[B.isrc]!)).toBe(true);
    expect(bravo.headers['content-disposition']).toContain('01 Bravo (MP3).mp3');
    // The album's position 2 is Alpha's audio; the link issued before the swap still serves Alpha.
    const alpha = await h.api.app.inject({ url: await fileOf(album.token, '2') });
    expect(alpha.rawPayload.equals(bytes[A.isrc]!)).toBe(true);
    const before = await h.api.app.inject({ url: alphaLink });
    expect(before.rawPayload.equals(bytes[A.isrc]!)).toBe(true);
    // The mapping still names Bravo's row.
    const mapped = await call('GET', `/v1/product-mappings/${mapping.json().id}`);
    expect(mapped.json().trackId).toBe(id(B.isrc));
  });

  it('refuses to remove a track a grant or a mapping points at (409 track_in_use); the database guards it too', async () => {
    const { releaseId, id } = await release([at(1, A), at(2, B), at(3, C)]);
    await seedPaidOrder(h.pool, { shopDomain, releaseId, trackId: id(B.isrc) });
    const mapping = await call('POST', '/v1/product-mappings', {
      shopDomain,
      variantId: '8100000000301',
      releaseId,
      trackId: id(C.isrc),
    });
    expect(mapping.statusCode, mapping.body).toBe(201);

    for (const [left, isrc] of [
      [[at(1, A), at(2, C)], B.isrc],
      [[at(1, A), at(2, B)], C.isrc],
      // Same positions, another recording at 3: Charlie is still removed.
      [[at(1, A), at(2, B), at(3, { title: 'Charlie', isrc: 'USS1Z2600199' })], C.isrc],
    ] as const) {
      const res = await call('PATCH', `/v1/releases/${releaseId}`, { tracks: left });
      expect([res.statusCode, res.json().code]).toEqual([409, 'track_in_use']);
      expect(res.json().detail).toContain(isrc);
    }
    const kept = await h.pool.query('SELECT isrc FROM track WHERE release_id = $1 ORDER BY position', [releaseId]);
    expect(kept.rows.map((r) => r.isrc)).toEqual([A.isrc, B.isrc, C.isrc]);
    expect((await call('GET', `/v1/product-mappings/${mapping.json().id}`)).json().trackId).toBe(id(C.isrc));
    // The mapping's foreign key refuses the delete (it cascaded before: the mapping vanished silently).
    await expect(h.pool.query('DELETE FROM track WHERE id = $1', [id(C.isrc)])).rejects.toMatchObject({
      code: '23503',
    });

    // A track nothing points at may go, and a new one come in.
    const res = await call('PATCH', `/v1/releases/${releaseId}`, {
      tracks: [at(1, C), at(2, B), at(3, { title: 'Delta', isrc: 'USS1Z2600104' })],
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().tracks.map((t: { isrc: string; id: string }) => t.isrc)).toEqual([
      C.isrc,
      B.isrc,
      'USS1Z2600104',
    ]);
    expect(res.json().tracks[0].id).toBe(id(C.isrc));
  });
});
