import type { Pool } from 'pg';
import { type ShopifyAdminClient, ShopifyPermanentError } from './admin-client.ts';

export const FULFILLMENT_ORDERS_QUERY = `query FulfillmentOrders($id: ID!) {
  order(id: $id) {
    fulfillmentOrders(first: 20) {
      nodes { id status lineItems(first: 100) { nodes { id remainingQuantity lineItem { id } } } }
    }
  }
}`;

export const FULFILLMENT_CREATE_MUTATION = `mutation DigitalFulfillment($fulfillment: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $fulfillment) {
    fulfillment { id status }
    userErrors { field message }
  }
}`;

interface FulfillmentOrdersData {
  order: {
    fulfillmentOrders: {
      nodes: {
        id: string;
        status: string;
        lineItems: { nodes: { id: string; remainingQuantity: number; lineItem: { id: string } }[] };
      }[];
    };
  } | null;
}

interface FulfillmentCreateData {
  fulfillmentCreate: { fulfillment: { id: string } | null; userErrors: { message: string }[] };
}

interface ClaimedFulfillment {
  id: string;
  attempts: number;
  shop_domain: string;
  shopify_order_id: string;
  access_token: string | null;
  line_item_ids: string[];
}

export interface FulfillmentSenderOptions {
  pool: Pool;
  client: ShopifyAdminClient;
  retryDelaysMs: readonly number[];
  now?: () => Date;
  leaseMs?: number;
  batchSize?: number;
}

const OPEN = new Set(['OPEN', 'IN_PROGRESS']);
const gid = (kind: string, id: string) => `gid://shopify/${kind}/${id}`;

/**
 * Marks digital lines fulfilled in Shopify (fulfillmentCreate on the fulfilment order lines, no tracking),
 * from the `fulfillment` outbox. Idempotent: only lines whose grants are still active and whose fulfilment
 * order lines still have a remaining quantity are sent, so a retry after a lost answer sends nothing twice.
 * 429/5xx climb the delay ladder; a refusal or the end of the ladder marks the row failed.
 */
export class FulfillmentSender {
  readonly #o: Required<Omit<FulfillmentSenderOptions, 'now'>> & { now: () => Date };

  constructor(options: FulfillmentSenderOptions) {
    this.#o = { leaseMs: 120_000, batchSize: 20, now: () => new Date(), ...options };
  }

  async tick(): Promise<number> {
    const now = this.#o.now();
    const { rows } = await this.#o.pool.query<ClaimedFulfillment>(
      `WITH claimed AS (
         UPDATE fulfillment SET attempts = attempts + 1, next_attempt_at = $2, updated_at = $1
         WHERE id IN (SELECT id FROM fulfillment WHERE status = 'pending' AND next_attempt_at <= $1
                      ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING id, attempts, order_id, line_item_ids)
       SELECT c.id, c.attempts, o.shop_domain, o.shopify_order_id::text, s.access_token,
              c.line_item_ids::text[] AS line_item_ids
       FROM claimed c JOIN orders o ON o.id = c.order_id LEFT JOIN shop s ON s.domain = o.shop_domain`,
      [now, new Date(now.getTime() + this.#o.leaseMs), this.#o.batchSize],
    );
    await Promise.all(rows.map((row) => this.#send(row)));
    return rows.length;
  }

  async #send(row: ClaimedFulfillment): Promise<void> {
    try {
      if (!row.access_token) throw new ShopifyPermanentError('no_access_token');
      const lines = await this.#stillActive(row);
      if (lines.length === 0) return await this.#finish(row.id, 'failed', null, 'grants_revoked');
      const data = await this.#o.client.graphql<FulfillmentOrdersData>(
        row.shop_domain,
        row.access_token,
        FULFILLMENT_ORDERS_QUERY,
        {
          id: gid('Order', row.shopify_order_id),
        },
      );
      const wanted = new Set(lines.map((l) => gid('LineItem', l)));
      const byFulfillmentOrder = (data.order?.fulfillmentOrders.nodes ?? [])
        .filter((fo) => OPEN.has(fo.status))
        .map((fo) => ({
          fulfillmentOrderId: fo.id,
          fulfillmentOrderLineItems: fo.lineItems.nodes
            .filter((li) => wanted.has(li.lineItem.id) && li.remainingQuantity > 0)
            .map((li) => ({ id: li.id, quantity: li.remainingQuantity })),
        }))
        .filter((fo) => fo.fulfillmentOrderLineItems.length > 0);
      if (byFulfillmentOrder.length === 0) return await this.#finish(row.id, 'created', null, null); // already done
      const created = await this.#o.client.graphql<FulfillmentCreateData>(
        row.shop_domain,
        row.access_token,
        FULFILLMENT_CREATE_MUTATION,
        {
          fulfillment: { lineItemsByFulfillmentOrder: byFulfillmentOrder, notifyCustomer: false },
        },
      );
      const { fulfillment, userErrors } = created.fulfillmentCreate;
      if (userErrors.length > 0 || !fulfillment) {
        throw new ShopifyPermanentError(userErrors.map((e) => e.message).join('; ') || 'no fulfillment returned');
      }
      await this.#finish(row.id, 'created', fulfillment.id.split('/').pop() ?? null, null);
    } catch (err) {
      const message = err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 500) : String(err);
      const delay = err instanceof ShopifyPermanentError ? undefined : this.#o.retryDelaysMs[row.attempts - 1];
      if (delay === undefined) return await this.#finish(row.id, 'failed', null, message);
      await this.#o.pool.query(
        'UPDATE fulfillment SET next_attempt_at = $2, last_error = $3, updated_at = now() WHERE id = $1',
        [row.id, new Date(this.#o.now().getTime() + delay), message],
      );
    }
  }

  /** The requested lines that still have an active grant (a refund since then takes a line out). */
  async #stillActive(row: ClaimedFulfillment): Promise<string[]> {
    const { rows } = await this.#o.pool.query<{ lid: string }>(
      `SELECT DISTINCT ol.shopify_line_id::text AS lid FROM order_line ol
       JOIN orders o ON o.id = ol.order_id JOIN download_grant g ON g.order_line_id = ol.id
       WHERE o.shop_domain = $1 AND o.shopify_order_id = $2 AND ol.shopify_line_id = ANY($3::bigint[]) AND g.status = 'active'`,
      [row.shop_domain, row.shopify_order_id, row.line_item_ids],
    );
    return rows.map((r) => r.lid);
  }

  async #finish(id: string, status: 'created' | 'failed', shopifyId: string | null, error: string | null) {
    await this.#o.pool.query(
      `UPDATE fulfillment SET status = $2::fulfillment_status, shopify_fulfillment_id = $3::bigint, last_error = $4, updated_at = now()
       WHERE id = $1`,
      [id, status, shopifyId, error],
    );
  }
}
