import { resolveUpcConflict } from '@single/db/commands/upc-conflicts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedArtist, uniqueUpc } from '../test-support/seed.ts';

// Issue 14: a UPC is unique per account, not across accounts. A rival must neither learn another label's
// catalogue (no 409 about a foreign release) nor block the real owner by registering its UPC first: the
// second claim is kept and both are flagged for review (geo-reporting keeps their units pending) until ops
// names the owner.
describe('UPC claims across accounts', () => {
  let h: Harness;
  let a: { auth: Record<string, string>; artistId: string; otherArtistId: string };
  let b: { auth: Record<string, string>; artistId: string };
  beforeAll(async () => {
    h = await startHarness();
    const owner = await seedAccount(h.pool, 'Owner');
    const rival = await seedAccount(h.pool, 'Rival');
    a = {
      auth: owner.auth,
      artistId: await seedArtist(h.pool, owner.accountId, 'First'),
      otherArtistId: await seedArtist(h.pool, owner.accountId, 'Second'),
    };
    b = { auth: rival.auth, artistId: await seedArtist(h.pool, rival.accountId) };
  });
  afterAll(() => h?.close());

  const send = (auth: Record<string, string>, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    h.api.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });
  const createRelease = (auth: Record<string, string>, artistId: string, upc: string, title = 'Album') =>
    send(auth, 'POST', '/v1/releases', { artistId, title, upc, releaseDate: '2026-07-17' });
  const reviewOf = async (upc: string) =>
    (
      await h.pool.query<{ upc_review: string | null }>(
        'SELECT upc_review::text FROM release WHERE upc = $1 ORDER BY created_at',
        [upc],
      )
    ).rows.map((r) => r.upc_review);

  it('takes a second account’s claim of a taken UPC (201), keeps both and flags both for review', async () => {
    const upc = uniqueUpc();
    const first = await createRelease(a.auth, a.artistId, upc);
    expect(first.statusCode, first.body).toBe(201);
    expect(await reviewOf(upc)).toEqual([null]);

    const second = await createRelease(b.auth, b.artistId, upc);
    expect(second.statusCode, second.body).toBe(201);
    expect(await reviewOf(upc)).toEqual(['under_review', 'under_review']);
    const conflicts = await h.pool.query('SELECT id::text, resolved_at FROM upc_conflict WHERE upc = $1', [upc]);
    expect(conflicts.rows).toHaveLength(1);
    expect(conflicts.rows[0].resolved_at).toBeNull();

    // Within one account a duplicate is the account's own data: still a plain 409, whichever artist.
    const own = await createRelease(a.auth, a.otherArtistId, upc);
    expect(own.statusCode).toBe(409);
    expect(own.json()).toMatchObject({ code: 'upc_taken' });

    // Ops names the owner: the owner's release is confirmed, the rival's rejected but kept in its catalogue.
    const resolved = await resolveUpcConflict(h.pool, {
      conflictId: conflicts.rows[0].id,
      ownerReleaseId: first.json().id,
      resolvedBy: 'test',
    });
    expect(resolved.status).toBe('resolved');
    expect(await reviewOf(upc)).toEqual(['confirmed', 'rejected']);
    expect((await send(b.auth, 'GET', `/v1/releases/${second.json().id}`)).statusCode).toBe(200);

    // A later claimant waits alone: the confirmed owner keeps charting.
    const rival2 = await seedAccount(h.pool, 'Rival two');
    const late = await createRelease(rival2.auth, await seedArtist(h.pool, rival2.accountId), upc);
    expect(late.statusCode).toBe(201);
    expect(await reviewOf(upc)).toEqual(['confirmed', 'rejected', 'under_review']);
  });

  it('closes the conflict and clears the review when a rival withdraws its claim (moves its UPC away)', async () => {
    const upc = uniqueUpc();
    const victim = uniqueUpc();
    const owner = await createRelease(a.auth, a.artistId, upc);
    const next = await createRelease(a.auth, a.otherArtistId, victim, 'Next victim');
    const rival = await createRelease(b.auth, b.artistId, upc, 'Squatter');
    expect(await reviewOf(upc)).toEqual(['under_review', 'under_review']);
    const openConflicts = (u: string) =>
      h.pool.query('SELECT id FROM upc_conflict WHERE upc = $1 AND resolved_at IS NULL', [u]).then((r) => r.rowCount);

    // The rival moves on to the next victim: the owner of the first UPC charts again, the conflict is closed.
    const moved = await send(b.auth, 'PATCH', `/v1/releases/${rival.json().id}`, { upc: victim });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(await reviewOf(upc)).toEqual([null]);
    expect(await openConflicts(upc)).toBe(0);
    const closed = await h.pool.query(
      'SELECT owner_release_id::text AS owner, resolved_by FROM upc_conflict WHERE upc = $1',
      [upc],
    );
    expect(closed.rows).toEqual([{ owner: owner.json().id, resolved_by: 'withdrawn' }]);
    expect(await reviewOf(victim)).toEqual(['under_review', 'under_review']);

    // And away again: one rival release cannot park victim after victim.
    expect((await send(b.auth, 'PATCH', `/v1/releases/${rival.json().id}`, { upc: uniqueUpc() })).statusCode).toBe(200);
    expect(await reviewOf(victim)).toEqual([null]);
    expect(await openConflicts(victim)).toBe(0);
    expect((await send(a.auth, 'GET', `/v1/releases/${next.json().id}`)).statusCode).toBe(200);
  });

  it('keeps the review while claimants of two accounts remain, and keeps a verdict ops gave', async () => {
    const upc = uniqueUpc();
    const owner = await createRelease(a.auth, a.artistId, upc);
    await createRelease(b.auth, b.artistId, upc);
    const third = await seedAccount(h.pool, 'Third');
    const late = await createRelease(third.auth, await seedArtist(h.pool, third.accountId), upc);
    expect(await reviewOf(upc)).toEqual(['under_review', 'under_review', 'under_review']);
    expect((await send(third.auth, 'PATCH', `/v1/releases/${late.json().id}`, { upc: uniqueUpc() })).statusCode).toBe(
      200,
    );
    expect(await reviewOf(upc)).toEqual(['under_review', 'under_review']);

    // Ops names the owner; a later squatter who withdraws leaves the confirmed owner confirmed.
    const { rows } = await h.pool.query('SELECT id::text FROM upc_conflict WHERE upc = $1 AND resolved_at IS NULL', [
      upc,
    ]);
    await resolveUpcConflict(h.pool, { conflictId: rows[0].id, ownerReleaseId: owner.json().id, resolvedBy: 'test' });
    const squat = await createRelease(third.auth, await seedArtist(h.pool, third.accountId, 'Squat'), upc);
    expect(await reviewOf(upc)).toEqual(['confirmed', 'rejected', 'under_review']);
    expect((await send(third.auth, 'PATCH', `/v1/releases/${squat.json().id}`, { upc: uniqueUpc() })).statusCode).toBe(
      200,
    );
    expect(await reviewOf(upc)).toEqual(['confirmed', 'rejected']);
    const open = await h.pool.query('SELECT 1 FROM upc_conflict WHERE upc = $1 AND resolved_at IS NULL', [upc]);
    expect(open.rowCount).toBe(0);
  });

  it('answers account B exactly alike whether or not account A holds the UPC', async () => {
    const taken = uniqueUpc();
    const free = uniqueUpc();
    expect((await createRelease(a.auth, a.artistId, taken)).statusCode).toBe(201);

    /** B's whole conversation about one UPC, with ids, instants and the UPC itself blanked out. */
    const conversation = async (upc: string) => {
      const answers: unknown[] = [];
      const record = (res: Awaited<ReturnType<typeof send>>) =>
        answers.push({ status: res.statusCode, type: res.headers['content-type'], body: res.json() });
      const created = await createRelease(b.auth, b.artistId, upc);
      record(created);
      const id = created.json().id;
      record(await send(b.auth, 'GET', `/v1/releases/${id}`));
      record(await send(b.auth, 'GET', `/v1/releases?upc=${upc}`));
      record(await send(b.auth, 'PATCH', `/v1/releases/${id}`, { title: 'Renamed' }));
      record(await createRelease(b.auth, b.artistId, upc, 'Duplicate in my account'));
      // Another of B's releases moved onto the UPC, and back off it.
      const other = await createRelease(b.auth, b.artistId, uniqueUpc(), 'Other');
      record(await send(b.auth, 'PATCH', `/v1/releases/${other.json().id}`, { upc }));
      return JSON.stringify(answers)
        .replaceAll(upc, '<upc>')
        .replace(/\d{13}/g, '<other upc>')
        .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
        .replace(/"(createdAt|updatedAt)":"[^"]+"/g, '"$1":"<t>"')
        .replace(/"(instance|requestId)":"[^"]+"/g, '"$1":"<r>"');
    };
    const withForeignClaim = await conversation(taken);
    const withoutIt = await conversation(free);
    expect(withForeignClaim).toContain('upc_taken'); // the own-account duplicate
    expect(withForeignClaim).toEqual(withoutIt);
  });
});
