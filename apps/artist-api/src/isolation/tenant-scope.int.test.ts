import { createTenantDb, platformAccess, scopedToAccount, type TenantDb, TenantScopeError } from '@single/db';
import { createTestDatabase, type TestDatabase } from '@single/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedAccount, seedArtist, seedPaidOrder, seedRelease, seedShop } from '../test-support/seed.ts';

// The tenant scope of @single/db (issue 16), on the client the artist API is built on: a query that forgets
// its account is refused, and a scoped query cannot reach another account's rows even by id.
describe('tenant scope', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: TenantDb;
  const a = { accountId: '', artistId: '', releaseId: '', orderId: '', keyId: '' };
  const b = { accountId: '', artistId: '', releaseId: '', orderId: '', keyId: '', lineId: '' };

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 3 });
    db = createTenantDb(pool);
    for (const [t, name] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      const account = await seedAccount(pool, `account ${name}`);
      t.accountId = account.accountId;
      t.keyId = account.keyId;
      await seedShop(pool, t.accountId, `${name}-shop.myshopify.com`);
      t.artistId = await seedArtist(pool, t.accountId, `artist ${name}`);
      t.releaseId = (await seedRelease(pool, t.artistId)).id;
      const order = await seedPaidOrder(pool, { shopDomain: `${name}-shop.myshopify.com`, releaseId: t.releaseId });
      t.orderId = order.orderId;
      if ('lineId' in t) t.lineId = order.lineId;
    }
  });
  afterAll(async () => {
    await db.$disconnect();
    await pool.end();
    await database.drop();
  });

  it('refuses a query on a tenant table through the unscoped client', async () => {
    await expect(db.order.findMany()).rejects.toBeInstanceOf(TenantScopeError);
    await expect(db.artist.findUnique({ where: { id: b.artistId } })).rejects.toBeInstanceOf(TenantScopeError);
    await expect(db.release.count()).rejects.toBeInstanceOf(TenantScopeError);
    await expect(db.apiKey.updateMany({ data: { name: 'x' } })).rejects.toBeInstanceOf(TenantScopeError);
    // Named platform access is the only way round it (the API-key lookup, a link found by its token).
    expect(await platformAccess('test', () => db.order.count())).toBe(2);
  });

  it("cannot see another account's rows even when asked for them by id", async () => {
    const scoped = scopedToAccount(db, a.accountId);
    expect(await scoped.order.findUnique({ where: { id: b.orderId } })).toBeNull();
    expect(await scoped.order.findMany({ where: { id: { in: [a.orderId, b.orderId] } } })).toEqual([
      expect.objectContaining({ id: a.orderId }),
    ]);
    expect(await scoped.artist.findFirst({ where: { id: b.artistId } })).toBeNull();
    expect(await scoped.release.findMany({ where: { OR: [{ id: b.releaseId }, { artistId: b.artistId }] } })).toEqual(
      [],
    );
    expect(await scoped.orderLine.findUnique({ where: { id: b.lineId } })).toBeNull();
    expect(await scoped.apiKey.count({ where: { id: b.keyId } })).toBe(0);
    expect(await scoped.account.findUnique({ where: { id: b.accountId } })).toBeNull();
    expect(await scoped.release.count()).toBe(1);
    // An interactive transaction on the scoped client keeps the scope.
    expect(await scoped.$transaction((tx) => tx.order.findUnique({ where: { id: b.orderId } }))).toBeNull();
  });

  it("cannot write another account's rows, nor create under another account's parent", async () => {
    const scoped = scopedToAccount(db, a.accountId);
    expect(await scoped.artist.updateMany({ where: { id: b.artistId }, data: { name: 'taken' } })).toEqual({
      count: 0,
    });
    await expect(scoped.artist.update({ where: { id: b.artistId }, data: { name: 'taken' } })).rejects.toThrow();
    expect(await scoped.release.deleteMany({ where: { id: b.releaseId } })).toEqual({ count: 0 });
    await expect(
      scoped.release.create({
        data: { artistId: b.artistId, title: 'x', upc: '200000000001', releaseInstant: new Date(), territories: [] },
      }),
    ).rejects.toBeInstanceOf(TenantScopeError);
    await expect(scoped.artist.create({ data: { accountId: b.accountId, name: 'x' } })).rejects.toBeInstanceOf(
      TenantScopeError,
    );
    await expect(
      scoped.artist.updateMany({ where: { id: a.artistId }, data: { accountId: b.accountId } }),
    ).rejects.toBeInstanceOf(TenantScopeError);
    const created = await scoped.artist.create({ data: { name: 'new', accountId: undefined as unknown as string } });
    expect(created.accountId).toBe(a.accountId);
    const [row] = (await pool.query('SELECT name FROM artist WHERE id = $1', [b.artistId])).rows;
    expect(row.name).toBe('artist b');
  });

  it('checks what a create names inside the transaction it runs in (a release made there, then its track)', async () => {
    const scoped = scopedToAccount(db, a.accountId);
    // The scope's check reads through the open transaction: on another connection it could not see the
    // uncommitted release and refused its track (and on the demo's one-session PGlite it waited forever).
    const trackId = await scoped.$transaction(async (tx) => {
      const release = await tx.release.create({
        data: {
          artistId: a.artistId,
          title: 'Made in the transaction',
          upc: '000000000017',
          releaseInstant: new Date('2027-01-01T00:00:00Z'),
        },
      });
      const track = await tx.track.create({
        data: { releaseId: release.id, position: 1, title: 'One', isrc: 'QZTST2700001' },
      });
      return track.id;
    });
    expect(await scoped.track.findUnique({ where: { id: trackId } })).not.toBeNull();
    // Still scoped inside a transaction: another account's parent is refused there too.
    await expect(
      scoped.$transaction((tx) =>
        tx.track.create({ data: { releaseId: b.releaseId, position: 9, title: 'x', isrc: 'QZTST2700002' } }),
      ),
    ).rejects.toBeInstanceOf(TenantScopeError);
  });

  it('refuses models the artist API has no business with', async () => {
    const scoped = scopedToAccount(db, a.accountId);
    await expect(scoped.salesOutbox.findMany()).rejects.toBeInstanceOf(TenantScopeError);
  });
});
