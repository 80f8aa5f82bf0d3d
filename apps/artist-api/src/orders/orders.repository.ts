import type { Pool } from 'pg';
import type { z } from 'zod';
import { isUuid } from '../support/db.ts';
import { decodeCursor, toPage } from '../support/pagination.ts';
import { Where } from '../support/sql-builder.ts';
import type { listOrdersQuery, orderDetail } from './orders.schemas.ts';

interface OrderRow {
  id: string;
  shopDomain: string;
  shopifyOrderId: string;
  name: string;
  financialStatus: string;
  cancelledAt: Date | null;
  test: boolean;
  currency: string;
  billingCountry: string | null;
  shippingCountry: string | null;
  shopifyCreatedAt: Date | null;
  updatedAt: Date;
}

const ORDER_COLUMNS = `o.id, o.shop_domain AS "shopDomain", o.shopify_order_id::text AS "shopifyOrderId", o.name,
  o.financial_status AS "financialStatus", o.cancelled_at AS "cancelledAt", o.test, o.currency,
  o.billing_country AS "billingCountry", o.shipping_country AS "shippingCountry",
  o.shopify_created_at AS "shopifyCreatedAt", o.updated_at AS "updatedAt"`;

const iso = (d: Date | null) => d?.toISOString() ?? null;
const toSummary = (o: OrderRow) => ({
  ...o,
  cancelledAt: iso(o.cancelledAt),
  shopifyCreatedAt: iso(o.shopifyCreatedAt),
  updatedAt: o.updatedAt.toISOString(),
});

type Detail = z.output<typeof orderDetail>;

/**
 * Orders are written by the fulfillment worker; the account sees the orders of its own shops. Lists are
 * newest first by Shopify order id (ids grow over time), which the unique index (shop_domain,
 * shopify_order_id) serves directly: one backward index scan per shop, merged.
 */
export class OrderRepository {
  readonly #pool: Pool;
  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async list(domains: string[], q: z.output<typeof listOrdersQuery>) {
    const cursor = decodeCursor(q.cursor, ['bigint', 'uuid']);
    const shops = q.shopDomain === undefined ? domains : domains.filter((d) => d === q.shopDomain);
    if (shops.length === 0) return { items: [], nextCursor: null };
    const where = new Where()
      .and(() => 'o.shop_domain = s.domain')
      .andIf(q.financialStatus, (p) => `o.financial_status = ${p}`)
      .andIf(q.test === undefined ? undefined : q.test === 'true', (p) => `o.test = ${p}`)
      .andIf(
        q.releaseId,
        (p) => `EXISTS (SELECT 1 FROM order_line ol WHERE ol.order_id = o.id AND ol.release_id = ${p})`,
      );
    if (cursor) {
      where.and(
        (id, uuid) =>
          `(o.shopify_order_id < ${id}::bigint OR (o.shopify_order_id = ${id}::bigint AND o.id < ${uuid}::uuid))`,
        cursor[0],
        cursor[1],
      );
    }
    const domainsParam = where.param(shops);
    const limit = where.param(q.limit + 1);
    const { rows } = await this.#pool.query<OrderRow>(
      `SELECT o.* FROM unnest(${domainsParam}::text[]) AS s(domain)
       CROSS JOIN LATERAL (
         SELECT ${ORDER_COLUMNS} FROM orders o WHERE ${where}
         ORDER BY o.shopify_order_id DESC, o.id DESC LIMIT ${limit}
       ) o
       ORDER BY o."shopifyOrderId"::bigint DESC, o.id DESC LIMIT ${limit}`,
      where.params,
    );
    return toPage(rows, q.limit, (o) => [o.shopifyOrderId, o.id], toSummary);
  }

  async get(domains: string[], id: string): Promise<Detail | undefined> {
    if (!isUuid(id) || domains.length === 0) return undefined;
    const { rows } = await this.#pool.query<OrderRow>(
      `SELECT ${ORDER_COLUMNS} FROM orders o WHERE o.id = $1 AND o.shop_domain = ANY($2::text[])`,
      [id, domains],
    );
    const order = rows[0];
    if (!order) return undefined;
    const [lines, grants, emails, fulfillments] = await Promise.all([
      this.#pool.query(
        `SELECT ol.id, ol.shopify_line_id::text AS "shopifyLineId", ol.product_id::text AS "productId", ol.variant_id::text AS "variantId",
                ol.sku, ol.quantity, ol.refunded_quantity AS "refundedQuantity", ol.price::text AS price,
                ol.requires_shipping AS "requiresShipping", ol.release_id AS "releaseId", r.title AS "releaseTitle", r.upc, ol.unmapped
         FROM order_line ol LEFT JOIN release r ON r.id = ol.release_id WHERE ol.order_id = $1 ORDER BY ol.shopify_line_id`,
        [id],
      ),
      this.#pool.query(
        // A scheduled grant opens at its release's (or its track's) instant as the catalogue has it now: the
        // worker's scheduler derives it the same way, so a re-timed release shows its new date here.
        `SELECT g.id, g.order_line_id AS "orderLineId", g.release_id AS "releaseId", g.unit_index AS "unitIndex", g.status,
                CASE WHEN g.status = 'scheduled' THEN coalesce(t.release_instant, r.release_instant) ELSE g.activate_at END
                  AS "activateAt", g.expires_at AS "expiresAt", g.download_limit AS "downloadLimit",
                g.downloads_used AS "downloadsUsed", g.revoked_at AS "revokedAt",
                (SELECT min(d.at) FROM download d WHERE d.grant_id = g.id) AS "firstDownloadAt"
         FROM download_grant g JOIN order_line ol ON ol.id = g.order_line_id JOIN release r ON r.id = g.release_id
         LEFT JOIN track t ON t.id = g.track_id WHERE ol.order_id = $1
         ORDER BY g.order_line_id, g.release_id, g.unit_index`,
        [id],
      ),
      this.#pool.query(
        `SELECT id, kind, status, attempts, sent_at AS "sentAt" FROM email_message WHERE order_id = $1 ORDER BY created_at, id`,
        [id],
      ),
      this.#pool.query(
        `SELECT id, status, shopify_fulfillment_id::text AS "shopifyFulfillmentId", line_item_ids::text[] AS "lineItemIds", attempts,
                updated_at AS "updatedAt"
         FROM fulfillment WHERE order_id = $1 ORDER BY created_at, id`,
        [id],
      ),
    ]);
    const grantsByLine = new Map<string, Detail['lines'][number]['grants']>();
    for (const g of grants.rows) {
      const list = grantsByLine.get(g.orderLineId) ?? [];
      list.push({
        id: g.id,
        releaseId: g.releaseId,
        unitIndex: g.unitIndex,
        status: g.status,
        activateAt: g.activateAt.toISOString(),
        expiresAt: iso(g.expiresAt),
        downloadLimit: g.downloadLimit,
        downloadsUsed: g.downloadsUsed,
        firstDownloadAt: iso(g.firstDownloadAt),
        revokedAt: iso(g.revokedAt),
      });
      grantsByLine.set(g.orderLineId, list);
    }
    const digitalLines = lines.rows.filter((l) => !l.requiresShipping && l.releaseId);
    return {
      ...toSummary(order),
      lines: lines.rows.map((l) => ({ ...l, grants: grantsByLine.get(l.id) ?? [] })),
      emails: emails.rows.map((e) => ({ ...e, sentAt: iso(e.sentAt) })),
      fulfillments: fulfillments.rows.map((f) => ({ ...f, updatedAt: f.updatedAt.toISOString() })),
      fulfillmentState: fulfillmentState(
        digitalLines.map((l) => l.shopifyLineId),
        fulfillments.rows,
      ),
    };
  }
}

/** Summarises the Shopify digital fulfilment of an order from its fulfilment records. */
export function fulfillmentState(
  digitalLineIds: string[],
  fulfillments: { status: 'pending' | 'sending' | 'created' | 'failed'; lineItemIds: string[] }[],
): Detail['fulfillmentState'] {
  if (digitalLineIds.length === 0 && fulfillments.length === 0) return 'not_required';
  const covered = new Set(fulfillments.filter((f) => f.status === 'created').flatMap((f) => f.lineItemIds));
  const done = digitalLineIds.filter((id) => covered.has(id)).length;
  if (done > 0 && done >= digitalLineIds.length) return 'fulfilled';
  if (done > 0) return 'partially_fulfilled';
  if (fulfillments.some((f) => f.status === 'failed')) return 'failed';
  return 'pending';
}
