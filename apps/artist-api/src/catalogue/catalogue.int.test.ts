import { INVALID_DATES, INVALID_INSTANTS } from '@single/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedArtist, seedShop } from '../test-support/seed.ts';

describe('catalogue', () => {
  let h: Harness;
  let auth: Record<string, string>;
  let artistId: string;
  beforeAll(async () => {
    h = await startHarness();
    const account = await seedAccount(h.pool, 'Label');
    auth = account.auth;
    artistId = await seedArtist(h.pool, account.accountId);
    await seedShop(h.pool, account.accountId, 'label.myshopify.com');
  });
  afterAll(() => h?.close());

  const create = (payload: Record<string, unknown>) =>
    h.api.app.inject({ method: 'POST', url: '/v1/releases', headers: auth, payload });

  it('creates a release with normalised identifiers and a New York release instant', async () => {
    const res = await create({
      artistId,
      title: 'Album',
      upc: '036000291452',
      releaseDate: '2026-07-17',
      preorder: true,
      preorderStartsAt: '2026-06-01T00:00:00Z',
      territories: ['US', 'CA', 'US'],
      tracks: [
        { position: 1, title: 'One', isrc: 'us-s1z-26-00001', releaseInstant: '2026-06-01T04:00:00Z' },
        { position: 2, title: 'Two', isrc: 'USS1Z2600002' },
      ],
    });
    expect(res.statusCode, res.body).toBe(201);
    const release = res.json();
    expect(release).toMatchObject({
      upc: '0036000291452',
      releaseInstant: '2026-07-17T04:00:00.000Z',
      preorder: true,
      preorderStartsAt: '2026-06-01T00:00:00.000Z',
      downloadLimit: 5,
      downloadExpiryDays: 30,
      territories: ['US', 'CA'],
    });
    expect(release.tracks.map((t: { isrc: string }) => t.isrc)).toEqual(['USS1Z2600001', 'USS1Z2600002']);

    const fetched = await h.api.app.inject({ url: `/v1/releases/${release.id}`, headers: auth });
    expect(fetched.json()).toEqual(release);

    const patched = await h.api.app.inject({
      method: 'PATCH',
      url: `/v1/releases/${release.id}`,
      headers: auth,
      payload: {
        title: 'Album (Deluxe)',
        downloadLimit: 10,
        tracks: [{ position: 1, title: 'Only', isrc: 'GBAYE0601498' }],
      },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({
      title: 'Album (Deluxe)',
      downloadLimit: 10,
      upc: '0036000291452',
      tracks: [{ position: 1, isrc: 'GBAYE0601498' }],
    });

    const duplicate = await create({ artistId, title: 'Copy', upc: '0036000291452', releaseDate: '2026-07-17' });
    expect(duplicate.statusCode).toBe(409);
    expect(duplicate.json().code).toBe('upc_taken');
  });

  it.each([
    ['a wrong UPC check digit', { upc: '036000291453' }, 400],
    ['an invalid ISRC', { tracks: [{ position: 1, title: 'x', isrc: 'US-S1Z-26-0001' }] }, 400],
    ['both date forms', { releaseInstant: '2026-07-17T04:00:00Z' }, 400],
    ['a pre-order window after the release', { preorder: true, preorderStartsAt: '2026-08-01T00:00:00Z' }, 422],
    [
      'a track released after its release',
      { tracks: [{ position: 1, title: 'x', isrc: 'USS1Z2600001', releaseInstant: '2026-08-01T00:00:00Z' }] },
      422,
    ],
    [
      'duplicate positions',
      {
        tracks: [
          { position: 1, title: 'x', isrc: 'USS1Z2600001' },
          { position: 1, title: 'y', isrc: 'USS1Z2600002' },
        ],
      },
      422,
    ],
    ['a lower-case territory', { territories: ['us'] }, 400],
    ['an unknown field', { colour: 'red' }, 400],
  ])('rejects %s', async (_name, change, status) => {
    const res = await create({ artistId, title: 'Bad', upc: '4006381333931', releaseDate: '2026-07-17', ...change });
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  // JS Date turns years 0-99 into 19xx: a release dated 0050-01-01 was stored as 1950. Every date and
  // instant of a release is the shared calendar type, and anything outside it is 400 invalid_date.
  it('answers 400 invalid_date, naming the field, for release dates and instants that cannot exist', async () => {
    const wrong: string[] = [];
    const expectInvalid = async (change: Record<string, unknown>, field: string) => {
      const res = await create({ artistId, title: 'Edge', upc: '4006381333931', releaseDate: '2026-07-17', ...change });
      const body = res.json();
      if (res.statusCode !== 400 || body.code !== 'invalid_date' || body.parameter !== field)
        wrong.push(`${JSON.stringify(change).slice(0, 120)} -> ${res.statusCode} ${res.body.slice(0, 160)}`);
    };
    for (const value of INVALID_DATES) await expectInvalid({ releaseDate: value }, 'releaseDate');
    for (const value of INVALID_INSTANTS) {
      await expectInvalid({ releaseDate: undefined, releaseInstant: value }, 'releaseInstant');
      await expectInvalid({ preorder: true, preorderStartsAt: value }, 'preorderStartsAt');
      await expectInvalid(
        { tracks: [{ position: 1, title: 'x', isrc: 'USS1Z2600009', releaseInstant: value }] },
        'tracks.0.releaseInstant',
      );
    }
    expect(wrong).toEqual([]);
    expect((await h.pool.query(`SELECT count(*)::int AS n FROM release WHERE title = 'Edge'`)).rows[0].n).toBe(0);
  });

  it('accepts the first and last day of the range', async () => {
    const first = await create({ artistId, title: 'First day', upc: '5012345678900', releaseDate: '1900-01-01' });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json().releaseInstant).toBe('1900-01-01T05:00:00.000Z');
    const last = await create({ artistId, title: 'Last day', upc: '5000112548167', releaseDate: '2199-12-31' });
    expect(last.statusCode, last.body).toBe(201);
    expect(last.json().releaseInstant).toBe('2199-12-31T05:00:00.000Z');
  });

  it('lists releases newest first across pages without gaps or repeats', async () => {
    const upcs = ['5901234123457', '9780201379624', '9780306406157', '4006381333931'];
    for (const [i, upc] of upcs.entries()) {
      expect((await create({ artistId, title: `Page ${i}`, upc, releaseDate: '2026-01-02' })).statusCode).toBe(201);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { statusCode: number; json: () => { items: { title: string }[]; nextCursor: string | null } } =
        await h.api.app.inject({ url: `/v1/releases?limit=2${cursor ? `&cursor=${cursor}` : ''}`, headers: auth });
      expect(res.statusCode).toBe(200);
      const page: { items: { title: string }[]; nextCursor: string | null } = res.json();
      seen.push(...page.items.map((r: { title: string }) => r.title));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.slice(0, 4)).toEqual(['Page 3', 'Page 2', 'Page 1', 'Page 0']);
    expect(new Set(seen).size).toBe(seen.length);
    const filtered = await h.api.app.inject({ url: '/v1/releases?upc=590-1234-123457', headers: auth });
    expect(filtered.json().items.map((r: { title: string }) => r.title)).toEqual(['Page 0']);
    const badCursor = await h.api.app.inject({ url: '/v1/releases?cursor=bm9wZQ', headers: auth });
    expect(badCursor.statusCode).toBe(400);
    expect(badCursor.json().code).toBe('invalid_cursor');
  });

  it('maps products to releases and keeps exactly one reported release per bundle', async () => {
    const a = (await create({ artistId, title: 'Bundle A', upc: '9781234567897', releaseDate: '2026-01-02' })).json();
    const b = (await create({ artistId, title: 'Bundle B', upc: '9780262033848', releaseDate: '2026-01-02' })).json();
    const map = (releaseId: string, reportedRelease: boolean) =>
      h.api.app.inject({
        method: 'POST',
        url: '/v1/product-mappings',
        headers: auth,
        payload: {
          shopDomain: 'label.myshopify.com',
          productId: '8000000000001',
          variantId: 8000000000002,
          releaseId,
          reportedRelease,
        },
      });
    const first = await map(a.id, false);
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({
      reportedRelease: true,
      productId: '8000000000001',
      variantId: '8000000000002',
    }); // the first is reported anyway
    const second = await map(b.id, true);
    expect(second.json().reportedRelease).toBe(true);
    const list = await h.api.app.inject({ url: '/v1/product-mappings?productId=8000000000001', headers: auth });
    expect(
      list.json().items.map((m: { releaseId: string; reportedRelease: boolean }) => [m.releaseId, m.reportedRelease]),
    ).toEqual([
      [b.id, true],
      [a.id, false],
    ]);
    const back = await h.api.app.inject({
      method: 'PATCH',
      url: `/v1/product-mappings/${first.json().id}`,
      headers: auth,
      payload: { reportedRelease: true },
    });
    expect(back.json().reportedRelease).toBe(true);
    const b2 = await h.api.app.inject({ url: `/v1/product-mappings/${second.json().id}`, headers: auth });
    expect(b2.json().reportedRelease).toBe(false);
    expect((await map(a.id, true)).statusCode).toBe(409);
    const foreignShop = await h.api.app.inject({
      method: 'POST',
      url: '/v1/product-mappings',
      headers: auth,
      payload: { shopDomain: 'someone-else.myshopify.com', sku: 'X', releaseId: a.id },
    });
    expect(foreignShop.statusCode).toBe(404);
    const del = await h.api.app.inject({
      method: 'DELETE',
      url: `/v1/product-mappings/${second.json().id}`,
      headers: auth,
    });
    expect(del.statusCode).toBe(204);
    expect(
      (await h.api.app.inject({ url: `/v1/product-mappings/${second.json().id}`, headers: auth })).statusCode,
    ).toBe(404);
  });
});
