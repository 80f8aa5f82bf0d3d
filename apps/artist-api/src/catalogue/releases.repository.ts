import { flagUpcClaim, withdrawUpcClaim } from '@single/db/commands/upc-conflicts';
import type { Pool } from 'pg';
import { inTransaction, isUniqueViolation, isUuid, type Sql } from '../support/db.ts';
import { decodeCursor, toPage } from '../support/pagination.ts';
import { Where } from '../support/sql-builder.ts';
import type { Release } from './releases.schemas.ts';

interface ReleaseRow {
  id: string;
  artistId: string;
  title: string;
  upc: string;
  releaseInstant: Date;
  preorder: boolean;
  preorderStartsAt: Date | null;
  downloadLimit: number;
  downloadExpiryDays: number;
  territories: string[];
  createdAt: Date;
  updatedAt: Date;
}

interface TrackRow {
  id: string;
  releaseId: string;
  position: number;
  title: string;
  isrc: string;
  releaseInstant: Date | null;
}

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

const RELEASE_COLUMNS = `r.id, r.artist_id AS "artistId", r.title, r.upc, r.release_instant AS "releaseInstant", r.preorder,
  r.preorder_starts_at AS "preorderStartsAt", r.download_limit AS "downloadLimit",
  r.download_expiry_days AS "downloadExpiryDays", r.territories, r.created_at AS "createdAt", r.updated_at AS "updatedAt"`;

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

/** Releases of one account: every query joins through artist.account_id. */
export class ReleaseRepository {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async list(accountId: string, filters: ReleaseFilters) {
    const cursor = decodeCursor(filters.cursor, ['timestamp', 'uuid']);
    const where = new Where()
      .and((a) => `a.account_id = ${a}`, accountId)
      .andIf(filters.artistId, (p) => `r.artist_id = ${p}`)
      .andIf(filters.upc, (p) => `r.upc = ${p}`)
      .andIf(filters.preorder, (p) => `r.preorder = ${p}`);
    if (cursor) where.and((t, id) => `(r.created_at, r.id) < (${t}::timestamptz, ${id}::uuid)`, cursor[0], cursor[1]);
    const { rows } = await this.#pool.query<ReleaseRow>(
      `SELECT ${RELEASE_COLUMNS} FROM release r JOIN artist a ON a.id = r.artist_id
       WHERE ${where} ORDER BY r.created_at DESC, r.id DESC LIMIT ${where.param(filters.limit + 1)}`,
      where.params,
    );
    const tracks = await this.#tracks(
      this.#pool,
      rows.slice(0, filters.limit).map((r) => r.id),
    );
    return toPage(
      rows,
      filters.limit,
      (r) => [r.createdAt.toISOString(), r.id],
      (r) => toRelease(r, tracks.get(r.id) ?? []),
    );
  }

  async get(accountId: string, id: string, sql: Sql = this.#pool): Promise<Release | undefined> {
    if (!isUuid(id)) return undefined;
    const { rows } = await sql.query<ReleaseRow>(
      `SELECT ${RELEASE_COLUMNS} FROM release r JOIN artist a ON a.id = r.artist_id WHERE a.account_id = $1 AND r.id = $2`,
      [accountId, id],
    );
    const row = rows[0];
    if (!row) return undefined;
    return toRelease(row, (await this.#tracks(sql, [row.id])).get(row.id) ?? []);
  }

  async create(accountId: string, values: ReleaseValues): Promise<string> {
    return inTransaction(this.#pool, async (client) => {
      await claimUpc(client, accountId, values.upc, null);
      const { rows } = await client
        .query<{ id: string }>(
          `INSERT INTO release (artist_id, title, upc, release_instant, preorder, preorder_starts_at, download_limit,
                                download_expiry_days, territories, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now()) RETURNING id`,
          [
            values.artistId,
            values.title,
            values.upc,
            values.releaseInstant,
            values.preorder,
            values.preorderStartsAt,
            values.downloadLimit,
            values.downloadExpiryDays,
            values.territories,
          ],
        )
        .catch(rethrowUpc);
      const id = rows[0]!.id;
      await flagUpcClaim(client, { releaseId: id, upc: values.upc, accountId });
      await insertTracks(client, id, values.tracks);
      return id;
    });
  }

  /** Writes the release if it is the account's (row locked for the read-modify-write). */
  async update(
    accountId: string,
    id: string,
    change: (current: Release) => ReleaseValues | Promise<ReleaseValues>,
    replaceTracks: boolean,
  ): Promise<boolean> {
    if (!isUuid(id)) return false;
    return inTransaction(this.#pool, async (client) => {
      const locked = await client.query(
        `SELECT r.id FROM release r JOIN artist a ON a.id = r.artist_id WHERE a.account_id = $1 AND r.id = $2 FOR UPDATE OF r`,
        [accountId, id],
      );
      if (locked.rowCount === 0) return false;
      const current = (await this.get(accountId, id, client))!;
      const next = await change(current);
      const upcChanged = next.upc !== current.upc;
      if (upcChanged) {
        // Both UPCs' locks, in one order for every writer (two releases swapping UPCs must not deadlock).
        for (const upc of [current.upc, next.upc].sort()) await lockUpc(client, upc);
        await claimUpc(client, accountId, next.upc, id);
      }
      await client
        .query(
          `UPDATE release SET artist_id = $2, title = $3, upc = $4, release_instant = $5, preorder = $6, preorder_starts_at = $7,
                  download_limit = $8, download_expiry_days = $9, territories = $10, updated_at = now()
           WHERE id = $1`,
          [
            id,
            next.artistId,
            next.title,
            next.upc,
            next.releaseInstant,
            next.preorder,
            next.preorderStartsAt,
            next.downloadLimit,
            next.downloadExpiryDays,
            next.territories,
          ],
        )
        .catch(rethrowUpc);
      // A release that takes another UPC is judged afresh for it, and its claim of the old UPC is withdrawn:
      // a rival moving away must not leave the owner under review (nor park victim after victim).
      if (upcChanged) {
        await flagUpcClaim(client, { releaseId: id, upc: next.upc, accountId });
        await withdrawUpcClaim(client, { upc: current.upc });
      }
      if (replaceTracks) await syncTracks(client, id, next.tracks);
      return true;
    });
  }

  async #tracks(sql: Sql, releaseIds: string[]): Promise<Map<string, TrackRow[]>> {
    const byRelease = new Map<string, TrackRow[]>();
    if (releaseIds.length === 0) return byRelease;
    const { rows } = await sql.query<TrackRow>(
      `SELECT id, release_id AS "releaseId", position, title, isrc, release_instant AS "releaseInstant"
       FROM track WHERE release_id = ANY($1::uuid[]) ORDER BY release_id, position`,
      [releaseIds],
    );
    for (const row of rows) {
      const list = byRelease.get(row.releaseId) ?? [];
      list.push(row);
      byRelease.set(row.releaseId, list);
    }
    return byRelease;
  }
}

async function insertTracks(sql: Sql, releaseId: string, tracks: ReleaseValues['tracks']) {
  if (tracks.length === 0) return;
  await sql.query(
    `INSERT INTO track (release_id, position, title, isrc, release_instant)
     SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::timestamptz[])`,
    [
      releaseId,
      tracks.map((t) => t.position),
      tracks.map((t) => t.title),
      tracks.map((t) => t.isrc),
      tracks.map((t) => t.releaseInstant),
    ],
  );
}

/**
 * Replaces a release's track list, matched by ISRC (a track's identity): a kept ISRC keeps its track row
 * (and id) whatever its new position, title or instant, so the grants, mappings and downloads of a track
 * sale still name the same recording after a reorder, and a changed instant re-times them at once (what a
 * track serves, and when, is derived from these instants whenever it is read). An ISRC that goes away is
 * deleted, refused while a grant or a product mapping of that track exists (the foreign keys refuse it
 * too). Called under the release's row lock.
 */
async function syncTracks(sql: Sql, releaseId: string, tracks: ReleaseValues['tracks']) {
  const isrcs = tracks.map((t) => t.isrc);
  const inUse = await sql.query<{ isrc: string }>(
    `SELECT t.isrc FROM track t
     WHERE t.release_id = $1 AND NOT (t.isrc = ANY($2::text[]))
       AND (EXISTS (SELECT 1 FROM download_grant g WHERE g.track_id = t.id)
            OR EXISTS (SELECT 1 FROM product_mapping m WHERE m.track_id = t.id))
     ORDER BY t.position`,
    [releaseId, isrcs],
  );
  if (inUse.rows.length > 0) throw new TrackInUseError(inUse.rows.map((r) => r.isrc));
  await sql
    .query('DELETE FROM track WHERE release_id = $1 AND NOT (isrc = ANY($2::text[]))', [releaseId, isrcs])
    .catch((error: unknown) => {
      // A grant or mapping written since the check above: the database's guard.
      if ((error as { code?: string })?.code === '23503') throw new TrackInUseError([]);
      throw error;
    });
  if (tracks.length === 0) return;
  // The kept tracks step aside first (negative positions): the unique (release_id, position) is checked
  // row by row, so swapping two positions in one UPDATE would collide.
  await sql.query('UPDATE track SET position = -position WHERE release_id = $1 AND position > 0', [releaseId]);
  const values = [
    releaseId,
    tracks.map((t) => t.position),
    tracks.map((t) => t.title),
    isrcs,
    tracks.map((t) => t.releaseInstant),
  ];
  await sql.query(
    `UPDATE track t SET position = n.position, title = n.title, release_instant = n.release_instant
     FROM unnest($2::int[], $3::text[], $4::text[], $5::timestamptz[]) AS n(position, title, isrc, release_instant)
     WHERE t.release_id = $1 AND t.isrc = n.isrc`,
    values,
  );
  await sql.query(
    `INSERT INTO track (release_id, position, title, isrc, release_instant)
     SELECT $1, n.* FROM unnest($2::int[], $3::text[], $4::text[], $5::timestamptz[]) AS n(position, title, isrc, release_instant)
     WHERE NOT EXISTS (SELECT 1 FROM track t WHERE t.release_id = $1 AND t.isrc = n.isrc)`,
    values,
  );
}

/**
 * Serialises every write of one UPC (a transaction-scoped advisory lock) and refuses a UPC the account already
 * uses: a duplicate within one account is the account's own data, so a plain 409. Another account's use of
 * the UPC is never looked at here (it must not change this account's answer): flagUpcClaim records it.
 */
async function claimUpc(sql: Sql, accountId: string, upc: string, exceptReleaseId: string | null) {
  await lockUpc(sql, upc);
  const { rows } = await sql.query(
    `SELECT 1 FROM release r JOIN artist a ON a.id = r.artist_id
      WHERE a.account_id = $1 AND r.upc = $2 AND r.id IS DISTINCT FROM $3::uuid LIMIT 1`,
    [accountId, upc, exceptReleaseId],
  );
  if (rows.length > 0) throw new UpcTakenError();
}

/** Every write of one UPC, across accounts, takes this transaction-scoped lock (re-entrant in one transaction). */
async function lockUpc(sql: Sql, upc: string) {
  await sql.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`release-upc:${upc}`]);
}

function rethrowUpc(error: unknown): never {
  // The per-artist unique index, should two writes of one account race past claimUpc's check.
  if (isUniqueViolation(error, 'release_artist_id_upc_key')) throw new UpcTakenError();
  throw error;
}

function toRelease(row: ReleaseRow, tracks: TrackRow[]): Release {
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
    tracks: tracks.map((t) => ({
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
