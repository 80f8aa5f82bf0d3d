import { createHash, randomBytes } from 'node:crypto';
import { buildSalesEvent, SALES_TOPIC, type SalesUnitFacts } from '@single/contracts';
import type { Pool } from 'pg';
import { inTransaction, type Sql } from '../support/db.ts';
import { checkFile, type FileCheck, type GrantScope, grantContents, type TrackTerms } from './availability.ts';
import type { DownloadFormat } from './storage.ts';

export interface GrantView extends GrantScope {
  grantId: string;
  releaseId: string;
  releaseTitle: string;
  status: 'scheduled' | 'active' | 'revoked' | 'expired';
  expiresAt: Date | null;
  downloadsUsed: number;
  downloadLimit: number;
}

export type GrantState = 'ok' | 'not_found' | 'expired' | 'used_up';

/**
 * What the fan may do with a link right now. Revoked links look unknown (no oracle for guessed tokens). A
 * scheduled grant (a pre-order) is a live link: it shows what is out already (instant-grat tracks) and
 * when the rest arrives; which files it may serve is decided per file by `grantContents`.
 */
export function grantState(grant: GrantView | undefined, now: Date): GrantState {
  if (!grant || grant.status === 'revoked') return 'not_found';
  if (grant.status === 'expired' || (grant.expiresAt && grant.expiresAt <= now)) return 'expired';
  if (grant.downloadsUsed >= grant.downloadLimit) return 'used_up';
  return 'ok';
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** A counted download's file link: its key (shown once, in the link) and until when it serves. */
export interface FileLink {
  key: string;
  serveUntil: Date;
}

export type RedeemResult =
  | { state: 'ok'; first: boolean; link: FileLink }
  | { state: Exclude<GrantState, 'ok'> }
  | Exclude<FileCheck, { state: 'available' }>;

/** What a file link serves: the file of the download that issued it. */
export interface FileLinkView {
  releaseId: string;
  releaseTitle: string;
  grantStatus: GrantView['status'];
  format: DownloadFormat;
  track: number | null;
  trackTitle: string | null;
  serveUntil: Date;
}

/**
 * Download redemption. The grant belongs to the fulfillment worker; this is the one other writer, by
 * design: downloads_used is incremented under the grant's row lock (the limit holds under concurrent
 * downloads), with the Download row and, on the first download, the `sale.redeemed` outbox row, all in one
 * transaction. Only `redeem` counts; reading a grant (the landing page) and serving a file link never do.
 */
export class RedemptionService {
  readonly #pool: Pool;
  readonly #now: () => Date;
  readonly #fileLinkTtlMs: number;

  constructor(pool: Pool, now: () => Date, fileLinkTtlMs = 15 * 60_000) {
    this.#pool = pool;
    this.#now = now;
    this.#fileLinkTtlMs = fileLinkTtlMs;
  }

  now(): Date {
    return this.#now();
  }

  async find(tokenHash: string, sql: Sql = this.#pool): Promise<GrantView | undefined> {
    const { rows } = await sql.query<
      Omit<GrantView, 'tracks'> & { tracks: (Omit<TrackTerms, 'releaseInstant'> & { releaseInstant: string | null })[] }
    >(
      `SELECT g.id AS "grantId", g.release_id AS "releaseId", r.title AS "releaseTitle", r.release_instant AS "releaseInstant",
              g.status, g.expires_at AS "expiresAt", g.downloads_used AS "downloadsUsed",
              g.download_limit AS "downloadLimit", g.track_id AS "trackId",
              coalesce((SELECT json_agg(json_build_object('id', t.id, 'position', t.position, 'title', t.title,
                                                          'releaseInstant', t.release_instant) ORDER BY t.position)
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
   * Counts one download of one file (`track` null = the archive) and issues the link that serves it. Refused
   * without counting when the link is unknown, expired or used up, or the file is not out yet.
   */
  async redeem(
    tokenHash: string,
    file: { format: DownloadFormat; track: number | null },
    clientIp: string | null,
  ): Promise<RedeemResult> {
    const now = this.#now();
    return inTransaction(this.#pool, async (client) => {
      // The row lock serialises concurrent downloads of one link: each sees the count the previous left.
      await client.query('SELECT 1 FROM download_grant WHERE token_hash = $1 FOR UPDATE', [tokenHash]);
      const grant = await this.find(tokenHash, client);
      const state = grantState(grant, now);
      if (state !== 'ok' || !grant) return { state: state === 'ok' ? 'not_found' : state };
      const check = checkFile(grantContents(grant, now), file.track);
      if (check.state !== 'available') return check;
      await client.query('UPDATE download_grant SET downloads_used = downloads_used + 1 WHERE id = $1', [
        grant.grantId,
      ]);
      const link = {
        key: randomBytes(32).toString('base64url'),
        serveUntil: new Date(now.getTime() + this.#fileLinkTtlMs),
      };
      await client.query(
        `INSERT INTO download (grant_id, format, at, client_ip, track_position, file_key_hash, serve_until)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [grant.grantId, file.format, now, clientIp, file.track, hashToken(link.key), link.serveUntil],
      );
      const first = grant.downloadsUsed === 0;
      if (first) await appendRedeemedEvent(client, grant.grantId, now);
      return { state: 'ok', first, link };
    });
  }

  /** The file behind a counted download's link (read only: a range re-request counts nothing). */
  async fileLink(tokenHash: string, key: string): Promise<FileLinkView | undefined> {
    const { rows } = await this.#pool.query<FileLinkView>(
      `SELECT g.release_id AS "releaseId", r.title AS "releaseTitle", g.status AS "grantStatus", d.format,
              d.track_position AS track, t.title AS "trackTitle", d.serve_until AS "serveUntil"
       FROM download d JOIN download_grant g ON g.id = d.grant_id JOIN release r ON r.id = g.release_id
       LEFT JOIN track t ON t.release_id = g.release_id AND t.position = d.track_position
       WHERE d.file_key_hash = $1 AND g.token_hash = $2`,
      [hashToken(key), tokenHash],
    );
    return rows[0];
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
  const event = buildSalesEvent('sale.redeemed', rows[0], at);
  await sql.query('INSERT INTO sales_outbox (event_id, topic, key, payload) VALUES ($1, $2, $3, $4)', [
    event.eventId,
    SALES_TOPIC,
    event.orderId,
    event,
  ]);
  await sql.query(`SELECT pg_notify('sales_outbox', '')`);
}
