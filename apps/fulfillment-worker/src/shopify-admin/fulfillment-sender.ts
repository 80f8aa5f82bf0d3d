import type { Pool } from 'pg';
import { claimInIndexOrder } from '../support/db.ts';
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
  /** The requested lines that still have an active grant (a refund since then takes a line out). */
  active_lines: string[];
}

/** What happened to one claimed row; recorded for the whole batch in one statement. */
interface Outcome {
  id: string;
  status: 'created' | 'failed' | 'pending';
  shopifyId: string | null;
  nextAttemptAt: Date | null;
  error: string | null;
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
    this.#o = { leaseMs: 120_000, batchSize: 50, now: () => new Date(), ...options };
  }

  async tick(): Promise<number> {
    const now = this.#o.now();
    const rows = await claimInIndexOrder<ClaimedFulfillment>(
      this.#o.pool,
      `WITH claimed AS (
         UPDATE fulfillment SET attempts = attempts + 1, next_attempt_at = $2, updated_at = $1
         WHERE id IN (SELECT id FROM fulfillment WHERE status = 'pending' AND next_attempt_at <= $1
                      ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING id, attempts, order_id, line_item_ids)
       SELECT c.id, c.attempts, o.shop_domain, o.shopify_order_id::text, s.access_token,
              c.line_item_ids::text[] AS line_item_ids,
              ARRAY(SELECT DISTINCT ol.shopify_line_id::text FROM order_line ol
                    JOIN download_grant g ON g.order_line_id = ol.id
                    WHERE ol.order_id = c.order_id AND ol.shopify_line_id = ANY(c.line_item_ids)
                      AND g.status = 'active') AS active_lines
       FROM claimed c JOIN orders o ON o.id = c.order_id LEFT JOIN shop s ON s.domain = o.shop_domain`,
      [now, new Date(now.getTime() + this.#o.leaseMs), this.#o.batchSize],
    );
    if (rows.length === 0) return 0;
    const outcomes = await Promise.all(rows.map((row) => this.#send(row)));
    await this.#o.pool.query(
      `UPDATE fulfillment f SET status = o.status::fulfillment_status,
         shopify_fulfillment_id = coalesce(o.shopify_id, f.shopify_fulfillment_id),
         next_attempt_at = coalesce(o.next_attempt_at, f.next_attempt_at), last_error = o.error, updated_at = now()
       FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::timestamptz[], $5::text[])
         AS o(id, status, shopify_id, next_attempt_at, error)
       WHERE f.id = o.id`,
      [
        outcomes.map((o) => o.id),
        outcomes.map((o) => o.status),
        outcomes.map((o) => o.shopifyId),
        outcomes.map((o) => o.nextAttemptAt),
        outcomes.map((o) => o.error),
      ],
    );
    return rows.length;
  }

  async #send(row: ClaimedFulfillment): Promise<Outcome> {
    const finish = (status: 'created' | 'failed', shopifyId: string | null, error: string | null): Outcome => ({
      id: row.id,
      status,
      shopifyId,
      nextAttemptAt: null,
      error,
    });
    try {
      if (!row.access_token) throw new ShopifyPermanentError('no_access_token');
      const lines = row.active_lines;
      if (lines.length === 0) return finish('failed', null, 'grants_revoked');
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
      if (byFulfillmentOrder.length === 0) return finish('created', null, null); // already done
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
      return finish('created', fulfillment.id.split('/').pop() ?? null, null);
    } catch (err) {
      const message = err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 500) : String(err);
      const delay = err instanceof ShopifyPermanentError ? undefined : this.#o.retryDelaysMs[row.attempts - 1];
      if (delay === undefined) return finish('failed', null, message);
      return {
        ...finish('failed', null, message),
        status: 'pending',
        nextAttemptAt: new Date(this.#o.now().getTime() + delay),
      };
    }
  }
}
