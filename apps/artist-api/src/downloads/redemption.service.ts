import { createHash, randomBytes } from 'node:crypto';
import { buildSalesEvent, SALES_TOPIC, type SalesUnitFacts } from '@single/contracts';
import { platformAccess, type TenantDb } from '@single/db';
import { outboxTraceContext } from '@single/tracing';
import type { Pool } from 'pg';
import { inTransaction, type Sql } from '../support/db.ts';
import { checkFile, type FileCheck, type GrantScope, grantContents, type TrackTerms } from './availability.ts';
import type { AudioTrack, DownloadFormat } from './storage.ts';

export interface GrantView extends GrantScope {
  grantId: string;
  releaseId: string;
  releaseTitle: string;
  status: 'scheduled' | 'active' | 'revoked' | 'expired';
  expiresAt: Date | null;
  /** Counted downloads of the whole grant (any file): the first one redeems the unit. */
  downloadsUsed: number;
  /** The allowance of each file: every track and the archive may be downloaded this many times. */
  downloadLimit: number;
  /** Counted downloads of the archive. */
  archiveDownloads: number;
  /** Each track with its counted downloads under this grant. */
  tracks: (TrackTerms & { downloads: number })[];
}

export type GrantState = 'ok' | 'not_found' | 'expired';

/**
 * What the fan may do with a link right now. Revoked links look unknown (no oracle for guessed tokens). A
 * scheduled grant (a pre-order) is a live link: it shows what is out already (instant-grat tracks) and
 * when the rest arrives; which files it may serve is decided per file by `grantContents`, and how many
 * times per file by `downloadsLeft`.
 */
export function grantState(grant: GrantView | undefined, now: Date): GrantState {
  if (!grant || grant.status === 'revoked') return 'not_found';
  if (grant.status === 'expired' || (grant.expiresAt && grant.expiresAt <= now)) return 'expired';
  return 'ok';
}

/**
 * Downloads left of one file (a track id, or null = the archive). The limit is per file ("5 downloads of
 * each file"): downloading an instant-grat track before the release must never use up the album.
 */
export function downloadsLeft(grant: GrantView, trackId: string | null): number {
  const used = trackId === null ? grant.archiveDownloads : (grant.tracks.find((t) => t.id === trackId)?.downloads ?? 0);
  return Math.max(0, grant.downloadLimit - used);
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** A counted download's file link: its key (shown once, in the link) and until when it serves. */
export interface FileLink {
  key: string;
  serveUntil: Date;
}

export type RedeemResult =
  | { state: 'ok'; first: boolean; link: FileLink }
  | { state: Exclude<GrantState, 'ok'> | 'used_up' }
  | Exclude<FileCheck, { state: 'available' }>;

/** What a file link serves: the file of the download that issued it, as the catalogue has it now. */
export interface FileLinkView {
  releaseId: string;
  releaseTitle: string;
  format: DownloadFormat;
  track: (AudioTrack & { title: string }) | null;
}

export type FileLinkResult =
  | { state: 'ok'; file: FileLinkView }
  | { state: Exclude<GrantState, 'ok'> | 'link_expired' }
  | Exclude<FileCheck, { state: 'available' }>;

/**
 * Hot path kept on pg (issue 16, bench/artist-api): the same service on Prisma (an interactive transaction,
 * the grant's increment and the Download row through the client, the lock and the grant read as $queryRaw)
 * measured p95 98.9-108.2 ms against 43.2-44.6 ms here, two runs each, back to back (ARCHITECTURE.md). No
 * account is involved: a fan's link is found by its token's hash, so the tenant scope does not apply.
 *
 * Download redemption. The grant belongs to the fulfillment worker; this is the one other writer, by
 * design: downloads_used is incremented under the grant's row lock (the per-file limit holds under
 * concurrent downloads), with the Download row and, on the grant's first counted download, the
 * `sale.redeemed` outbox row, all in one transaction. Only `redeem` counts; reading a grant (the landing
 * page) and serving a file link never do.
 */
export class RedemptionService {
  readonly #pool: Pool;
  readonly #db: TenantDb;
  readonly #now: () => Date;
  readonly #fileLinkTtlMs: number;

  constructor(pool: Pool, db: TenantDb, now: () => Date, fileLinkTtlMs = 15 * 60_000) {
    this.#pool = pool;
    this.#db = db;
    this.#now = now;
    this.#fileLinkTtlMs = fileLinkTtlMs;
  }

  now(): Date {
    return this.#now();
  }

  async find(tokenHash: string, sql: Sql = this.#pool): Promise<GrantView | undefined> {
    type Row = Omit<GrantView, 'tracks'> & {
      tracks: (Omit<GrantView['tracks'][number], 'releaseInstant'> & { releaseInstant: string | null })[];
    };
    // A track's downloads are counted by its row (its identity), the archive's by rows naming no track.
    const { rows } = await sql.query<Row>(
      `SELECT g.id AS "grantId", g.release_id AS "releaseId", r.title AS "releaseTitle", r.release_instant AS "releaseInstant",
              g.status, g.expires_at AS "expiresAt", g.downloads_used AS "downloadsUsed",
              g.download_limit AS "downloadLimit", g.track_id AS "trackId",
              (SELECT count(*)::int FROM download d
               WHERE d.grant_id = g.id AND d.track_id IS NULL AND d.track_position IS NULL) AS "archiveDownloads",
              coalesce((SELECT json_agg(json_build_object('id', t.id, 'position', t.position, 'title', t.title,
                                                          'isrc', t.isrc, 'releaseInstant', t.release_instant,
                                                          'downloads', (SELECT count(*) FROM download d
                                                                        WHERE d.grant_id = g.id AND d.track_id = t.id))
                                         ORDER BY t.position)
                        FROM track t WHERE t.release_id = g.release_id), '[]') AS tracks
       FROM download_grant g JOIN release r ON r.id = g.release_id WHERE g.token_hash = $1`,
      [tokenHash],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      ...row,
      tracks: row.tracks.map((t) => ({ ...t, releaseInstant: t.releaseInstant ? new Date(t.releaseInstant) : null })),
    };
  }

  /**
   * Counts one download of one file (`track` a position; null = the archive) and issues the link that
   * serves it. Refused without counting when the link is unknown or expired, the file is not out yet, or
   * that file's own allowance is used up.
   */
  async redeem(
    tokenHash: string,
    file: { format: DownloadFormat; track: number | null },
    clientIp: string | null,
  ): Promise<RedeemResult> {
    const now = this.#now();
    return inTransaction(this.#pool, async (client) => {
      // The row lock serialises concurrent downloads of one link: each sees the counts the previous left.
      await client.query('SELECT 1 FROM download_grant WHERE token_hash = $1 FOR UPDATE', [tokenHash]);
      const grant = await this.find(tokenHash, client);
      const state = grantState(grant, now);
      if (state !== 'ok' || !grant) return { state: state === 'ok' ? 'not_found' : state };
      const check = checkFile(grantContents(grant, now), file.track === null ? null : { position: file.track });
      if (check.state !== 'available') return check;
      if (downloadsLeft(grant, check.track?.id ?? null) === 0) return { state: 'used_up' };
      await client.query('UPDATE download_grant SET downloads_used = downloads_used + 1 WHERE id = $1', [
        grant.grantId,
      ]);
      const link = {
        key: randomBytes(32).toString('base64url'),
        serveUntil: new Date(now.getTime() + this.#fileLinkTtlMs),
      };
      await client.query(
        `INSERT INTO download (grant_id, format, at, client_ip, track_position, track_id, file_key_hash, serve_until)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          grant.grantId,
          file.format,
          now,
          clientIp,
          check.track?.position ?? null,
          check.track?.id ?? null,
          hashToken(link.key),
          link.serveUntil,
        ],
      );
      // The grant's first counted download, whichever file: the fan has redeemed the unit.
      const first = grant.downloadsUsed === 0;
      if (first) await appendRedeemedEvent(client, grant.grantId, now);
      return { state: 'ok', first, link };
    });
  }

  /**
   * The file behind a counted download's link (read only: a range re-request counts nothing). Checked again
   * on every request, as the landing page is: the grant must still be live (not revoked, not expired), the
   * link within its window, and the file out now (the artist may have moved it back into the future) and
   * still in the release (the download names the track row, so a reorder keeps serving the same track).
   */
  async fileLink(tokenHash: string, key: string): Promise<FileLinkResult> {
    const now = this.#now();
    // A fan's link: found by the key's hash and the token's, no account involved (the tenant scope does not apply).
    const link = await platformAccess("download file link: the fan's key and token", () =>
      this.#db.download.findFirst({
        where: { fileKeyHash: hashToken(key), grant: { tokenHash } },
        select: { format: true, trackId: true, trackPosition: true, serveUntil: true },
      }),
    );
    const grant = link ? await this.find(tokenHash) : undefined;
    const state = grantState(grant, now);
    if (!link || !grant || state !== 'ok') return { state: state === 'ok' ? 'not_found' : state };
    // Every counted download has its window; a row without one serves nothing.
    if (link.serveUntil === null || link.serveUntil <= now) return { state: 'link_expired' };
    // A track removed from the release since (track_id set null) is no file of this link any more.
    if (link.trackPosition !== null && link.trackId === null) return { state: 'no_such_file' };
    const check = checkFile(grantContents(grant, now), link.trackId === null ? null : { id: link.trackId });
    if (check.state !== 'available') return check;
    const track = check.track
      ? { isrc: check.track.isrc, position: check.track.position, title: check.track.title }
      : null;
    return {
      state: 'ok',
      file: { releaseId: grant.releaseId, releaseTitle: grant.releaseTitle, format: link.format, track },
    };
  }
}

/**
 * The `sale.redeemed` event of a grant's unit, built by the same builder as the fulfillment worker's
 * `sale.recorded` (one event per unit, quantity 1, `unitIndex`, Shopify ids as order and line ids, the same
 * unit amounts and product code), so that geo-reporting pairs the two by unit. Written to the sales outbox;
 * the worker's relay publishes it to Kafka.
 *
 * Only the grant its unit reports (download_grant.reported, fixed when the unit was recorded) redeems it: a
 * bundle grants every release, but its unit reports one, and the other releases' downloads must neither count a
 * second redemption nor stand in for the reported release's. The amounts, merch-bundle flag and fan pack are the
 * grant's as recorded (older grants: the line's), never the line's current mapping or edited amounts.
 */
async function appendRedeemedEvent(sql: Sql, grantId: string, at: Date) {
  const { rows } = await sql.query<SalesUnitFacts>(
    `SELECT o.shop_domain AS "shopDomain", o.shopify_order_id::text AS "shopifyOrderId", ol.shopify_line_id::text AS "shopifyLineId",
            g.unit_index AS "unitIndex", g.release_id AS "releaseId", CASE WHEN t.isrc IS NULL THEN r.upc END AS upc, t.isrc,
            ol.price::text AS "unitPrice", ol.quantity AS "lineQuantity", ol.discount_total::text AS "lineDiscount",
            ol.tax_total::text AS "lineTax", o.taxes_included AS "taxesIncluded",
            g.unit_gross::text AS "recordedGross", g.unit_discount::text AS "recordedDiscount",
            g.unit_tax::text AS "recordedTax", g.unit_net::text AS "recordedNet",
            coalesce(g.merch_bundle, ol.requires_shipping) AS "merchBundle", coalesce(g.fan_pack, ol.fan_pack) AS "fanPack",
            o.currency, o.email,
            o.billing_zip AS "billingZip", o.billing_country AS "billingCountry", o.shipping_zip AS "shippingZip",
            o.shipping_country AS "shippingCountry", o.browser_ip AS "browserIp", o.checkout_token AS "checkoutToken"
     FROM download_grant g JOIN order_line ol ON ol.id = g.order_line_id JOIN orders o ON o.id = ol.order_id
     JOIN release r ON r.id = g.release_id LEFT JOIN track t ON t.id = g.track_id
     WHERE g.id = $1 AND g.reported`,
    [grantId],
  );
  if (!rows[0]) return;
  // Written as version 1 into the worker's outbox, which never leaves PostgreSQL so: the worker's sales relay seals
  // the fan facts into version 2 with the fan's data key before Kafka sees them (crypto-shredding, issue 14), and
  // adds the keyed email hash (the builder carries none), so this service needs neither key nor platform secret.
  const event = buildSalesEvent('sale.redeemed', rows[0], at);
  // With the redemption request's trace context: the relay publishes the event as part of that trace.
  await sql.query(
    'INSERT INTO sales_outbox (event_id, topic, key, payload, trace_headers) VALUES ($1, $2, $3, $4, $5)',
    [event.eventId, SALES_TOPIC, event.orderId, event, outboxTraceContext()],
  );
  await sql.query(`SELECT pg_notify('sales_outbox', '')`);
}
