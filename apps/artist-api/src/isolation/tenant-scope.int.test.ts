import { readFile } from 'node:fs/promises';
import {
  createTenantDb,
  PARENT_RELATIONS,
  platformAccess,
  relationFields,
  scopedToAccount,
  TENANT_MODELS,
  TENANT_REFERENCES,
  type TenantDb,
  TenantScopeError,
} from '@single/db';
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
  const a = { accountId: '', artistId: '', releaseId: '', orderId: '', keyId: '', lineId: '', trackId: '' };
  const b = { accountId: '', artistId: '', releaseId: '', orderId: '', keyId: '', lineId: '', trackId: '' };

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
      const release = await seedRelease(pool, t.artistId);
      t.releaseId = release.id;
      t.trackId = release.trackIds[0]!;
      const order = await seedPaidOrder(pool, { shopDomain: `${name}-shop.myshopify.com`, releaseId: t.releaseId });
      t.orderId = order.orderId;
      t.lineId = order.lineId;
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

  // What ties each of B's rows to B (and B's release's title): must read the same after every refused write.
  const rowsOfB = async () =>
    (
      await pool.query(
        `SELECT json_build_object(
           'shops', (SELECT json_agg(s.account_id) FROM shop s WHERE s.domain = 'b-shop.myshopify.com'),
           'keys', (SELECT json_agg(json_build_array(k.account_id, k.created_by_key_id)) FROM api_key k WHERE k.id = $1),
           'artist', (SELECT json_agg(x.account_id) FROM artist x WHERE x.id = $2),
           'release', (SELECT json_agg(json_build_array(r.artist_id, r.title)) FROM release r WHERE r.id = $3),
           'tracks', (SELECT json_agg(t.id ORDER BY t.id) FROM track t WHERE t.release_id = $3),
           'track', (SELECT json_agg(t.release_id) FROM track t WHERE t.id = $4),
           'order', (SELECT json_agg(o.shop_domain) FROM orders o WHERE o.id = $5),
           'lines', (SELECT json_agg(json_build_array(l.order_id, l.release_id)) FROM order_line l WHERE l.id = $6),
           'mappings', (SELECT count(*) FROM product_mapping m WHERE m.track_id = $4 OR m.release_id = $3)
         ) AS b`,
        [b.keyId, b.artistId, b.releaseId, b.trackId, b.orderId, b.lineId],
      )
    ).rows[0].b;
  const newRelease = (upc: string) => ({
    artistId: a.artistId,
    title: 'New',
    upc,
    releaseInstant: new Date('2027-02-01T00:00:00Z'),
  });

  it("refuses nested writes that reach another account's rows (connect, connectOrCreate, update)", async () => {
    const scoped = scopedToAccount(db, a.accountId);
    const before = await rowsOfB();
    const refused = [
      () =>
        scoped.account.update({
          where: { id: a.accountId },
          data: { shops: { connect: { domain: 'b-shop.myshopify.com' } } },
        }),
      () => scoped.account.update({ where: { id: a.accountId }, data: { apiKeys: { connect: { id: b.keyId } } } }),
      () => scoped.apiKey.update({ where: { id: a.keyId }, data: { account: { connect: { id: b.accountId } } } }),
      () => scoped.apiKey.update({ where: { id: a.keyId }, data: { minted: { connect: { id: b.keyId } } } }),
      () => scoped.apiKey.update({ where: { id: a.keyId }, data: { createdByKeyId: b.keyId } }),
      () => scoped.artist.update({ where: { id: a.artistId }, data: { releases: { connect: { id: b.releaseId } } } }),
      () =>
        scoped.artist.create({
          data: { name: 'x', accountId: a.accountId, releases: { connect: { id: b.releaseId } } },
        }),
      () => scoped.release.create({ data: { ...newRelease('300000000001'), tracks: { connect: { id: b.trackId } } } }),
      () =>
        scoped.release.create({
          data: {
            ...newRelease('300000000002'),
            tracks: {
              connectOrCreate: { where: { id: b.trackId }, create: { position: 1, title: 'x', isrc: 'QZTST2700009' } },
            },
          },
        }),
      () => scoped.orderLine.update({ where: { id: a.lineId }, data: { release: { update: { title: 'taken' } } } }),
      () =>
        scoped.release.update({ where: { id: a.releaseId }, data: { artist: { update: { accountId: b.accountId } } } }),
      () => scoped.release.update({ where: { id: a.releaseId }, data: { tracks: { set: [{ id: b.trackId }] } } }),
      // A nested create is checked like a top-level one: no new account to move a row to, no B parent.
      () =>
        scoped.artist.update({
          where: { id: a.artistId },
          data: { account: { create: { name: 'elsewhere', kind: 'artist' } } },
        }),
      () =>
        scoped.release.update({
          where: { id: a.releaseId },
          data: { productMappings: { create: { shopDomain: 'b-shop.myshopify.com', productId: 4n } } },
        }),
      () =>
        scoped.release.update({
          where: { id: a.releaseId },
          data: {
            productMappings: { create: { shopDomain: 'a-shop.myshopify.com', productId: 5n, trackId: b.trackId } },
          },
        }),
    ];
    for (const write of refused) await expect(write()).rejects.toBeInstanceOf(TenantScopeError);
    expect(await rowsOfB()).toEqual(before);
  });

  it("refuses foreign keys that point at another account's parent, on update as on create", async () => {
    const scoped = scopedToAccount(db, a.accountId);
    const before = await rowsOfB();
    const refused = [
      () => scoped.release.update({ where: { id: a.releaseId }, data: { artistId: b.artistId } }),
      () => scoped.release.update({ where: { id: a.releaseId }, data: { artistId: { set: b.artistId } } }),
      () => scoped.order.update({ where: { id: a.orderId }, data: { shopDomain: 'b-shop.myshopify.com' } }),
      () => scoped.track.updateMany({ where: { releaseId: a.releaseId }, data: { releaseId: b.releaseId } }),
      () => scoped.orderLine.updateMany({ where: { id: a.lineId }, data: { releaseId: b.releaseId } }),
      () => scoped.orderLine.update({ where: { id: a.lineId }, data: { orderId: b.orderId } }),
      () =>
        scoped.release.upsert({
          where: { id: a.releaseId },
          update: { artistId: b.artistId },
          create: newRelease('300000000003'),
        }),
      () =>
        scoped.productMapping.create({
          data: { shopDomain: 'a-shop.myshopify.com', productId: 1n, releaseId: a.releaseId, trackId: b.trackId },
        }),
      // A track of the account, but not of the named release.
      () =>
        scoped.productMapping.create({
          data: { shopDomain: 'a-shop.myshopify.com', productId: 2n, releaseId: b.releaseId, trackId: a.trackId },
        }),
    ];
    for (const write of refused) await expect(write()).rejects.toBeInstanceOf(TenantScopeError);
    expect(await rowsOfB()).toEqual(before);
    const [own] = (await pool.query('SELECT artist_id FROM release WHERE id = $1', [a.releaseId])).rows;
    expect(own.artist_id).toBe(a.artistId);
  });

  it('keeps the nested writes the artist API makes: a release with its tracks, tracks added to it', async () => {
    const scoped = scopedToAccount(db, a.accountId);
    const release = await scoped.release.create({
      data: {
        ...newRelease('300000000004'),
        tracks: { create: [{ position: 1, title: 'One', isrc: 'QZTST2700011' }] },
      },
      select: { id: true },
    });
    await scoped.release.update({
      where: { id: release.id },
      data: { tracks: { create: [{ position: 2, title: 'Two', isrc: 'QZTST2700012' }] } },
      select: { id: true },
    });
    expect(await scoped.track.count({ where: { releaseId: release.id } })).toBe(2);
    // A track sale of one of the account's tracks, and an update that keeps it in the account.
    const [track] = await scoped.track.findMany({ where: { releaseId: release.id }, take: 1 });
    const mapping = await scoped.productMapping.create({
      data: { shopDomain: 'a-shop.myshopify.com', productId: 3n, releaseId: release.id, trackId: track!.id },
    });
    await scoped.productMapping.update({ where: { id: mapping.id }, data: { trackId: track!.id, fanPack: true } });
    await expect(
      scoped.productMapping.update({ where: { id: mapping.id }, data: { trackId: b.trackId } }),
    ).rejects.toBeInstanceOf(TenantScopeError);
    await scoped.release.update({ where: { id: release.id }, data: { artistId: a.artistId, title: 'Renamed' } });
  });

  it('refuses relations that reach a tenant model from any model of the guarded client', async () => {
    const before = await rowsOfB();
    const refused = [
      () =>
        db.upcConflict.create({
          data: { upc: 'x', ownerRelease: { connect: { id: b.releaseId } } },
          include: { ownerRelease: { include: { artist: { include: { account: { include: { apiKeys: true } } } } } } },
        }),
      () => db.upcConflict.create({ data: { upc: 'y', ownerReleaseId: b.releaseId }, include: { ownerRelease: true } }),
      () =>
        db.upcConflict.updateMany({ where: { ownerRelease: { is: { artistId: b.artistId } } }, data: { upc: 'z' } }),
      () => db.emailMessage.findMany({ include: { order: true } }),
      () => db.emailMessage.count({ where: { order: { shopDomain: 'b-shop.myshopify.com' } } }),
      () => db.fulfillment.findMany({ select: { id: true, order: { select: { lines: true } } } }),
      () => db.dispatchOutbox.findMany({ where: { delivery: { is: { shopDomain: 'b-shop.myshopify.com' } } } }),
    ];
    for (const query of refused) await expect(query()).rejects.toBeInstanceOf(TenantScopeError);
    // Made with a plain column (no relation), a nested update through it is refused too.
    const conflict = await db.upcConflict.create({ data: { upc: 'w', ownerReleaseId: b.releaseId } });
    await expect(
      db.upcConflict.update({ where: { id: conflict.id }, data: { ownerRelease: { update: { title: 'PWN' } } } }),
    ).rejects.toBeInstanceOf(TenantScopeError);
    await db.upcConflict.deleteMany({});
    expect(await rowsOfB()).toEqual(before);
  });

  it("keeps a scoped client's includes and relation filters to the account when rows link across accounts", async () => {
    const scoped = scopedToAccount(db, a.accountId);
    // B's key recorded as minted by A's key: the lineage edge crosses accounts.
    await pool.query('UPDATE api_key SET created_by_key_id = $1 WHERE id = $2', [a.keyId, b.keyId]);
    try {
      const keys = await scoped.apiKey.findMany({ include: { minted: { select: { accountId: true, hash: true } } } });
      expect(keys.flatMap((k) => k.minted)).toEqual([]);
      const selected = await scoped.apiKey.findMany({ select: { id: true, minted: { where: { name: { not: '' } } } } });
      expect(selected.flatMap((k) => k.minted)).toEqual([]);
      expect(await scoped.apiKey.count({ where: { minted: { some: { accountId: b.accountId } } } })).toBe(0);
      expect(await scoped.apiKey.count({ where: { minted: { some: {} } } })).toBe(0);
      expect(await scoped.apiKey.count({ where: { minted: { none: {} } } })).toBe(1);
      expect(await scoped.apiKey.count({ where: { minted: { every: { accountId: a.accountId } } } })).toBe(1);
      expect(await scoped.apiKey.count({ where: { OR: [{ minted: { some: { id: b.keyId } } }] } })).toBe(0);
      expect(
        await scoped.account.count({ where: { apiKeys: { some: { minted: { some: { accountId: b.accountId } } } } } }),
      ).toBe(0);
      const counted = await scoped.apiKey.findMany({ select: { _count: { select: { minted: true } } } });
      expect(counted.map((k) => k._count.minted)).toEqual([0]);
      const refused = [
        () => scoped.apiKey.findMany({ include: { createdBy: true } }),
        () => scoped.apiKey.findMany({ include: { _count: true } }),
        () => scoped.apiKey.findMany({ orderBy: { minted: { _count: 'desc' } } }),
        () => scoped.order.findMany({ include: { emailMessages: { include: { order: true } } } }),
        () => scoped.release.findMany({ include: { upcConflictsOwned: { include: { ownerRelease: true } } } }),
      ];
      for (const query of refused) await expect(query()).rejects.toBeInstanceOf(TenantScopeError);
      // The parent side is followed: the write checks keep each parent column within the account.
      const [line] = await scoped.orderLine.findMany({
        include: { order: true, release: { include: { artist: true } } },
      });
      expect(line?.release?.artist.accountId).toBe(a.accountId);
    } finally {
      await pool.query('UPDATE api_key SET created_by_key_id = NULL WHERE id = $1', [b.keyId]);
    }
  });

  it('refuses a client without a data model, and a model missing from it (fails closed)', () => {
    expect(() => relationFields({})).toThrow(TenantScopeError);
    const relations = relationFields({ _runtimeDataModel: { models: { Release: { fields: [] } } } });
    expect(relations('Release').size).toBe(0);
    expect(() => relations('Track')).toThrow(TenantScopeError);
  });

  it("knows every column of the schema that ties a tenant row to its parent (the scope's parent checks)", async () => {
    const schema = await readFile(new URL('../../../../packages/db/prisma/schema.prisma', import.meta.url), 'utf8');
    const inSchema: Record<string, Record<string, string>> = {};
    for (const [, model, body] of schema.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)) {
      if (!TENANT_MODELS.includes(model!)) continue;
      for (const [, type, column] of body!.matchAll(/^\s*\w+\s+(\w+)\??\s+@relation\([^)]*fields: \[(\w+)\]/gm)) {
        if (TENANT_MODELS.includes(type!)) inSchema[model!] = { ...inSchema[model!], [column!]: type! };
      }
    }
    for (const [model, columns] of Object.entries(inSchema)) {
      expect(TENANT_REFERENCES[model], model).toEqual(expect.objectContaining(columns));
    }
    expect(Object.keys(inSchema).length).toBeGreaterThan(8);
  });

  it('follows only the to-one parent relations between tenant models (the rest are to-many, and scoped)', async () => {
    const schema = await readFile(new URL('../../../../packages/db/prisma/schema.prisma', import.meta.url), 'utf8');
    const parents: Record<string, string[]> = {};
    for (const [, model, body] of schema.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)) {
      if (!TENANT_MODELS.includes(model!)) continue;
      for (const [, field, type, list, rest] of body!.matchAll(/^\s*(\w+)\s+(\w+)(\[\])?\??(.*)$/gm)) {
        if (!TENANT_MODELS.includes(type!) || list) continue;
        // Every to-one relation between tenant models holds the foreign key (no back side of a one-to-one).
        expect(rest, `${model}.${field}`).toMatch(/@relation\([^)]*fields:/);
        if (field !== 'createdBy') parents[model!] = [...(parents[model!] ?? []), field!];
      }
    }
    expect(parents).toEqual(PARENT_RELATIONS);
  });

  it('refuses models the artist API has no business with', async () => {
    const scoped = scopedToAccount(db, a.accountId);
    await expect(scoped.salesOutbox.findMany()).rejects.toBeInstanceOf(TenantScopeError);
  });
});
