import { createHash } from 'node:crypto';
import { buildSalesEvent, SALES_TOPIC, type SalesUnitFacts } from '@single/contracts';
import type { Pool } from 'pg';
import { inTransaction, type Sql } from '../support/db.ts';
import type { DownloadFormat } from './storage.ts';

export interface GrantView {
  grantId: string;
  releaseId: string;
  releaseTitle: string;
  status: 'scheduled' | 'active' | 'revoked' | 'expired';
  expiresAt: Date | null;
  activateAt: Date;
  downloadsUsed: number;
  downloadLimit: number;
}

export type GrantState = 'ok' | 'not_found' | 'expired' | 'used_up';

/** What the fan may do with a grant right now. Scheduled (not yet delivered) and revoked look unknown. */
export function grantState(grant: GrantView | undefined, now: Date): GrantState {
  if (!grant || grant.status === 'revoked' || grant.status === 'scheduled' || grant.activateAt > now)
    return 'not_found';
  if (grant.status === 'expired' || (grant.expiresAt && grant.expiresAt <= now)) return 'expired';
  if (grant.downloadsUsed >= grant.downloadLimit) return 'used_up';
  return 'ok';
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Download redemption. The grant belongs to the fulfillment worker; this is the one other writer, by
 * design: a conditional increment of downloads_used (the limit holds under concurrent downloads), the
 * Download row, and on the first download the `sale.redeemed` outbox row, all in one transaction.
 */
export class RedemptionService {
  readonly #pool: Pool;
  readonly #now: () => Date;

  constructor(pool: Pool, now: () => Date) {
    this.#pool = pool;
    this.#now = now;
  }

  now(): Date {
    return this.#now();
  }

  async find(tokenHash: string, sql: Sql = this.#pool): Promise<GrantView | undefined> {
    const { rows } = await sql.query<GrantView>(
      `SELECT g.id AS "grantId", g.release_id AS "releaseId", r.title AS "releaseTitle", g.status, g.expires_at AS "expiresAt",
              g.activate_at AS "activateAt", g.downloads_used AS "downloadsUsed", g.download_limit AS "downloadLimit"
       FROM download_grant g JOIN release r ON r.id = g.release_id WHERE g.token_hash = $1`,
      [tokenHash],
    );
    return rows[0];
  }

  /** Counts one download; the state when it could not be counted (a concurrent download took the last one). */
  async redeem(
    tokenHash: string,
    format: DownloadFormat,
    clientIp: string | null,
  ): Promise<{ state: GrantState; first: boolean }> {
    const now = this.#now();
    return inTransaction(this.#pool, async (client) => {
      const { rows } = await client.query<{ id: string; downloads_used: number }>(
        `UPDATE download_grant SET downloads_used = downloads_used + 1
         WHERE token_hash = $1 AND status = 'active' AND activate_at <= $2 AND downloads_used < download_limit
           AND (expires_at IS NULL OR expires_at > $2)
         RETURNING id, downloads_used`,
        [tokenHash, now],
      );
      const updated = rows[0];
      if (!updated) return { state: grantState(await this.find(tokenHash, client), now), first: false };
      await client.query('INSERT INTO download (grant_id, format, at, client_ip) VALUES ($1, $2, $3, $4)', [
        updated.id,
        format,
        now,
        clientIp,
      ]);
      const first = updated.downloads_used === 1;
      if (first) await appendRedeemedEvent(client, updated.id, now);
      return { state: 'ok', first };
    });
  }
}

/**
 * The `sale.redeemed` event of a grant's unit, built by the same builder as the fulfillment worker's
 * `sale.recorded` (one event per unit, quantity 1, `unitIndex`, Shopify ids as order and line ids, the same
 * unit amounts and product code), so that geo-reporting pairs the two by unit. Written to the sales outbox;
 * the worker's relay publishes it to Kafka.
 *
 * Only a grant of the line's reported release (order_line.release_id) redeems its unit: a bundle grants
 * every release, but its unit reports one, and the other releases' downloads must neither count a second
 * redemption nor stand in for the reported release's.
 */
async function appendRedeemedEvent(sql: Sql, grantId: string, at: Date) {
  const { rows } = await sql.query<SalesUnitFacts>(
    `SELECT o.shop_domain AS "shopDomain", o.shopify_order_id::text AS "shopifyOrderId", ol.shopify_line_id::text AS "shopifyLineId",
            g.unit_index AS "unitIndex", g.release_id AS "releaseId", CASE WHEN t.isrc IS NULL THEN r.upc END AS upc, t.isrc,
            ol.price::text AS "unitPrice", ol.quantity AS "lineQuantity", ol.discount_total::text AS "lineDiscount",
            ol.tax_total::text AS "lineTax", o.taxes_included AS "taxesIncluded", ol.requires_shipping AS "merchBundle",
            ol.fan_pack AS "fanPack", o.currency, o.email,
            o.billing_zip AS "billingZip", o.billing_country AS "billingCountry", o.shipping_zip AS "shippingZip",
            o.shipping_country AS "shippingCountry", o.browser_ip AS "browserIp", o.checkout_token AS "checkoutToken"
     FROM download_grant g JOIN order_line ol ON ol.id = g.order_line_id JOIN orders o ON o.id = ol.order_id
     JOIN release r ON r.id = g.release_id LEFT JOIN track t ON t.id = g.track_id
     WHERE g.id = $1 AND g.release_id = ol.release_id`,
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
