import type { AccountDb, AccountTx, Prisma } from '@single/db';
import { sqlOf } from '@single/db';
import { flagUpcClaim, withdrawUpcClaim } from '@single/db/commands/upc-conflicts';
import { isUuid } from '../support/db.ts';
import { decodeCursor, keysetBefore, toPage } from '../support/pagination.ts';
import type { Release } from './releases.schemas.ts';

/** The fields a release is written with (validated and normalised by the service). */
export interface ReleaseValues {
  artistId: string;
  title: string;
  upc: string;
  releaseInstant: Date;
  preorder: boolean;
  preorderStartsAt: Date | null;
  downloadLimit: number;
  downloadExpiryDays: number;
  territories: string[];
  tracks: { position: number; title: string; isrc: string; releaseInstant: Date | null }[];
}

const RELEASE_FIELDS = {
  id: true,
  artistId: true,
  title: true,
  upc: true,
  releaseInstant: true,
  preorder: true,
  preorderStartsAt: true,
  downloadLimit: true,
  downloadExpiryDays: true,
  territories: true,
  createdAt: true,
  updatedAt: true,
  tracks: {
    select: { id: true, position: true, title: true, isrc: true, releaseInstant: true },
    orderBy: { position: 'asc' },
  },
} as const satisfies Prisma.ReleaseSelect;
type ReleaseRow = Prisma.ReleaseGetPayload<{ select: typeof RELEASE_FIELDS }>;

// A transaction of its own may wait on a UPC's advisory lock behind another writer: more than Prisma's 5 s.
const TX = { maxWait: 10_000, timeout: 60_000 };

export class UpcTakenError extends Error {}
/** A track sold on its own (a grant or a product mapping points at it) cannot be removed from its release. */
export class TrackInUseError extends Error {
  readonly isrcs: string[];
  constructor(isrcs: string[]) {
    super(`tracks in use: ${isrcs.join(', ')}`);
    this.isrcs = isrcs;
  }
}

export interface ReleaseFilters {
  limit: number;
  cursor?: string | undefined;
  artistId?: string | undefined;
  upc?: string | undefined;
  preorder?: boolean | undefined;
}

/** Releases of one account: every method takes the request's account-scoped client (see @single/db). */
export class ReleaseRepository {
  async list(db: AccountDb, filters: ReleaseFilters) {
    const cursor = decodeCursor(filters.cursor, ['timestamp', 'uuid']);
    const rows = await db.release.findMany({
      select: RELEASE_FIELDS,
      where: {
        artistId: filters.artistId,
        upc: filters.upc,
        preorder: filters.preorder,
        ...(cursor ? keysetBefore(cursor) : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: filters.limit + 1,
    });
    return toPage(rows, filters.limit, (r) => [r.createdAt.toISOString(), r.id], toRelease);
  }

  /**
   * Pre-orders waiting: every upcoming pre-order release and every release with units still scheduled
   * (grants in status `scheduled`: sold, not yet deliverable), with how many. The grants are counted through
   * the account's orders (the scoped client), so another account's fans never add to the figure.
   */
  async waitingPreorders(db: AccountDb, now: Date) {
    const counts = await db.downloadGrant.groupBy({
      by: ['releaseId'],
      where: { status: 'scheduled' },
      _count: { _all: true },
    });
    const units = new Map(counts.map((c) => [c.releaseId, c._count._all]));
    const rows = await db.release.findMany({
      select: { id: true, title: true, releaseInstant: true },
      where: { OR: [{ id: { in: [...units.keys()] } }, { preorder: true, releaseInstant: { gt: now } }] },
      orderBy: [{ releaseInstant: 'asc' }, { id: 'asc' }],
    });
    return rows.map((r) => ({
      releaseId: r.id,
      title: r.title,
      releaseInstant: r.releaseInstant.toISOString(),
      units: units.get(r.id) ?? 0,
    }));
  }

  async get(db: AccountDb | AccountTx, id: string): Promise<Release | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await db.release.findFirst({ where: { id }, select: RELEASE_FIELDS });
    return row ? toRelease(row) : undefined;
  }

  async create(db: AccountDb, accountId: string, values: ReleaseValues): Promise<string> {
    return db.$transaction(async (tx) => {
      await claimUpc(tx, values.upc, null);
      const { tracks, ...release } = values;
      // Tracks as a nested write: the scope checks the release's artist; the tracks belong to the release.
      const { id } = await tx.release
        .create({ data: { ...release, tracks: { create: tracks } }, select: { id: true } })
        .catch(rethrowUpc);
      await flagUpcClaim(sqlOf(tx), { releaseId: id, upc: values.upc, accountId });
      return id;
    }, TX);
  }

  /** Writes the release if it is the account's (row locked for the read-modify-write). */
  async update(
    db: AccountDb,
    accountId: string,
    id: string,
    change: (current: Release) => ReleaseValues | Promise<ReleaseValues>,
    replaceTracks: boolean,
  ): Promise<boolean> {
    if (!isUuid(id)) return false;
    return db.$transaction(async (tx) => {
      // FOR UPDATE has no client form: typed SQL, the account its parameter.
      const locked = await tx.$queryRaw<{ id: string }[]>`
        SELECT r.id::text FROM release r JOIN artist a ON a.id = r.artist_id
        WHERE a.account_id = ${accountId}::uuid AND r.id = ${id}::uuid FOR UPDATE OF r`;
      if (locked.length === 0) return false;
      const current = (await this.get(tx, id))!;
      const next = await change(current);
      const upcChanged = next.upc !== current.upc;
      if (upcChanged) {
        // Both UPCs' locks, in one order for every writer (two releases swapping UPCs must not deadlock).
        for (const upc of [current.upc, next.upc].sort()) await lockUpc(tx, upc);
        await claimUpc(tx, next.upc, id);
      }
      const { tracks: _tracks, ...fields } = next;
      await tx.release.update({ where: { id }, data: fields, select: { id: true } }).catch(rethrowUpc);
      // A release that takes another UPC is judged afresh for it, and its claim of the old UPC is withdrawn:
      // a rival moving away must not leave the owner under review (nor park victim after victim).
      if (upcChanged) {
        await flagUpcClaim(sqlOf(tx), { releaseId: id, upc: next.upc, accountId });
        await withdrawUpcClaim(sqlOf(tx), { upc: current.upc });
      }
      if (replaceTracks) await syncTracks(tx, id, next.tracks);
      return true;
    }, TX);
  }
}

/**
 * Replaces a release's track list, matched by ISRC (a track's identity): a kept ISRC keeps its track row
 * (and id) whatever its new position, title or instant, so the grants, mappings and downloads of a track
 * sale still name the same recording after a reorder, and a changed instant re-times them at once (what a
 * track serves, and when, is derived from these instants whenever it is read). An ISRC that goes away is
 * deleted, refused while a grant or a product mapping of that track exists (the foreign keys refuse it
 * too). Called under the release's row lock.
 */
async function syncTracks(tx: AccountTx, releaseId: string, tracks: ReleaseValues['tracks']) {
  const isrcs = tracks.map((t) => t.isrc);
  const inUse = await tx.track.findMany({
    where: { releaseId, isrc: { notIn: isrcs }, OR: [{ grants: { some: {} } }, { mappings: { some: {} } }] },
    select: { isrc: true },
    orderBy: { position: 'asc' },
  });
  if (inUse.length > 0) throw new TrackInUseError(inUse.map((r) => r.isrc));
  await tx.track.deleteMany({ where: { releaseId, isrc: { notIn: isrcs } } }).catch((error: unknown) => {
    // A grant or mapping written since the check above: the database's guard (P2003: foreign key).
    if ((error as { code?: string })?.code === 'P2003') throw new TrackInUseError([]);
    throw error;
  });
  if (tracks.length === 0) return;
  // The kept tracks step aside first (negative positions): the unique (release_id, position) is checked
  // row by row, so swapping two positions in one UPDATE would collide. An arithmetic SET has no client form.
  await tx.$executeRaw`UPDATE track SET position = -position WHERE release_id = ${releaseId}::uuid AND position > 0`;
  const kept = new Set((await tx.track.findMany({ where: { releaseId }, select: { isrc: true } })).map((t) => t.isrc));
  for (const t of tracks.filter((t) => kept.has(t.isrc))) {
    await tx.track.updateMany({
      where: { releaseId, isrc: t.isrc },
      data: { position: t.position, title: t.title, releaseInstant: t.releaseInstant },
    });
  }
  const added = tracks.filter((t) => !kept.has(t.isrc));
  if (added.length > 0) {
    await tx.release.update({ where: { id: releaseId }, data: { tracks: { create: added } }, select: { id: true } });
  }
}

/**
 * Serialises every write of one UPC (a transaction-scoped advisory lock) and refuses a UPC the account already
 * uses: a duplicate within one account is the account's own data, so a plain 409. Another account's use of
 * the UPC is never looked at here (it must not change this account's answer): flagUpcClaim records it.
 */
async function claimUpc(tx: AccountTx, upc: string, exceptReleaseId: string | null) {
  await lockUpc(tx, upc);
  // The scoped client keeps this to the account's releases.
  const taken = await tx.release.findFirst({
    where: { upc, ...(exceptReleaseId ? { id: { not: exceptReleaseId } } : {}) },
    select: { id: true },
  });
  if (taken) throw new UpcTakenError();
}

/** Every write of one UPC, across accounts, takes this transaction-scoped lock (re-entrant in one transaction). */
async function lockUpc(tx: AccountTx, upc: string) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`release-upc:${upc}`}))`;
}

function rethrowUpc(error: unknown): never {
  // The per-artist unique index (release's only unique key besides its id), should two writes of one
  // account race past claimUpc's check.
  if ((error as { code?: string })?.code === 'P2002') throw new UpcTakenError();
  throw error;
}

function toRelease(row: ReleaseRow): Release {
  return {
    id: row.id,
    artistId: row.artistId,
    title: row.title,
    upc: row.upc,
    releaseInstant: row.releaseInstant.toISOString(),
    preorder: row.preorder,
    preorderStartsAt: row.preorderStartsAt?.toISOString() ?? null,
    downloadLimit: row.downloadLimit,
    downloadExpiryDays: row.downloadExpiryDays,
    territories: row.territories,
    tracks: row.tracks.map((t) => ({
      id: t.id,
      position: t.position,
      title: t.title,
      isrc: t.isrc,
      releaseInstant: t.releaseInstant?.toISOString() ?? null,
    })),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
