import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedArtist, seedShop } from '../test-support/seed.ts';

// A product mapped to one track of a release (a track sale): the worker grants that track and reports its
// ISRC. The track must belong to the mapped release, or the charts would get another release's ISRC.

describe('product mappings to one track', () => {
  let h: Harness;
  let auth: Record<string, string>;
  let artistId: string;
  beforeAll(async () => {
    h = await startHarness();
    const account = await seedAccount(h.pool, 'Track Label');
    auth = account.auth;
    artistId = await seedArtist(h.pool, account.accountId);
    await seedShop(h.pool, account.accountId, 'tracks.myshopify.com');
  });
  afterAll(() => h?.close());

  const release = async (title: string, upc: string, isrc: string) => {
    const res = await h.api.app.inject({
      method: 'POST',
      url: '/v1/releases',
      headers: auth,
      payload: { artistId, title, upc, releaseDate: '2026-01-02', tracks: [{ position: 1, title, isrc }] },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string; tracks: { id: string }[] };
  };
  const map = (payload: Record<string, unknown>) =>
    h.api.app.inject({
      method: 'POST',
      url: '/v1/product-mappings',
      headers: auth,
      payload: { shopDomain: 'tracks.myshopify.com', ...payload },
    });

  it('maps a product to a track of its release, lists it, changes it, and refuses another release’s track (422)', async () => {
    const album = await release('Single A', '9781234567897', 'USS1Z2600101');
    const other = await release('Single B', '9780262033848', 'USS1Z2600102');
    const trackId = album.tracks[0]!.id;

    const created = await map({ variantId: '8000000000101', releaseId: album.id, trackId });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ releaseId: album.id, trackId });
    const listed = await h.api.app.inject({ url: '/v1/product-mappings?variantId=8000000000101', headers: auth });
    expect(listed.json().items.map((m: { trackId: string | null }) => m.trackId)).toEqual([trackId]);

    const foreign = await map({ variantId: '8000000000102', releaseId: album.id, trackId: other.tracks[0]!.id });
    expect(foreign.statusCode).toBe(422);
    expect(foreign.headers['content-type']).toContain('application/problem+json');
    expect(foreign.json().code).toBe('track_not_in_release');
    const unknown = await map({ variantId: '8000000000103', releaseId: album.id, trackId: crypto.randomUUID() });
    expect([unknown.statusCode, unknown.json().code]).toEqual([422, 'track_not_in_release']);
    const malformed = await map({ variantId: '8000000000104', releaseId: album.id, trackId: 'track-1' });
    expect(malformed.statusCode).toBe(400);

    const id = created.json().id as string;
    const patch = (payload: Record<string, unknown>) =>
      h.api.app.inject({ method: 'PATCH', url: `/v1/product-mappings/${id}`, headers: auth, payload });
    const moved = await patch({ trackId: other.tracks[0]!.id });
    expect([moved.statusCode, moved.json().code]).toEqual([422, 'track_not_in_release']);
    const whole = await patch({ trackId: null });
    expect(whole.statusCode, whole.body).toBe(200);
    expect(whole.json().trackId).toBeNull();
    const again = await patch({ trackId });
    expect(again.json().trackId).toBe(trackId);
    // A mapping without a track stays a whole-release mapping.
    const album2 = await map({ variantId: '8000000000105', releaseId: album.id });
    expect(album2.json().trackId).toBeNull();
  });
});
