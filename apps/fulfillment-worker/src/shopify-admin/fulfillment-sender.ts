import {
  isSealedShopToken,
  openShopToken,
  ShopTokenError,
  type ShopTokenKeyring,
} from '@single/db/commands/shop-token';
import type { Logger } from '@single/logger';
import type { Pool } from 'pg';
import type { FailureClass, OutboxMetrics } from '../support/outbox-metrics.ts';
import { recordOutcome } from '../support/record-outcome.ts';
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
  /** It was in `sending` when claimed: Shopify may have created it already (same idempotency key now). */
  uncertain: boolean;
  /** Earlier attempts whose fate was unknown: any of them may have created the fulfilment. */
  uncertain_sends: number;
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
  /** How long a claimed row stays `sending` before another sender may take it. Default 2 min. */
  leaseMs?: number;
  batchSize?: number;
  logger?: Pick<Logger, 'warn'>;
  metrics?: OutboxMetrics;
  /** Opens the shops' sealed Admin API tokens (SHOP_TOKEN_KEYS); without it a sealed token fails the row. */
  tokenKeys?: ShopTokenKeyring;
}

type Outcome =
  | { status: 'created'; shopifyId: string | null }
  | { status: 'failed'; error: string; errorClass: FailureClass }
  | { status: 'pending'; error: string; nextAttemptAt: Date; uncertain: boolean };

const OPEN = new Set(['OPEN', 'IN_PROGRESS']);

/** Shopify refused a create (a user error) after an earlier attempt of the row may have created it. */
class RefusedAfterUnknownOutcome extends Error {
  override readonly name = 'ShopifyRefusedAfterUnknownOutcome';
}
const gid = (kind: string, id: string) => `gid://shopify/${kind}/${id}`;

// The claim of a tick's fulfilments (the due backlog in next_attempt_at order: fulfillment_due_idx).
export const CLAIM_FULFILLMENTS = `WITH claimed AS (
   UPDATE fulfillment f SET attempts = f.attempts + 1, next_attempt_at = $2, updated_at = $1,
     status = 'sending', uncertain_sends = f.uncertain_sends + (f.status = 'sending')::int
   FROM (SELECT id, status = 'sending' AS uncertain FROM fulfillment
         WHERE status IN ('pending', 'sending') AND next_attempt_at <= $1
         ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) d
   WHERE f.id = d.id
   RETURNING f.id, f.attempts, f.order_id, f.line_item_ids, f.uncertain_sends, d.uncertain)
 SELECT c.id, c.attempts, c.uncertain, c.uncertain_sends, o.shop_domain, o.shopify_order_id::text, s.access_token,
        c.line_item_ids::text[] AS line_item_ids
 FROM claimed c JOIN orders o ON o.id = c.order_id LEFT JOIN shop s ON s.domain = o.shop_domain`;

/**
 * Marks digital lines fulfilled in Shopify (fulfillmentCreate on the fulfilment order lines, no tracking),
 * from the `fulfillment` outbox, with the email outbox's shape (email/mailer.ts): rows are claimed as
 * `sending` with a lease, each outcome is written on its own as soon as Shopify answers (retried while the
 * lease lasts), and a row found in `sending` after its lease is sent again and counted (`uncertain_sends`).
 * Guards keep that resend from fulfilling twice: only lines whose grants are still active and whose fulfilment
 * order lines still have a remaining quantity are sent (re-read each attempt); every attempt of a row carries the
 * row's id as its idempotency key (for a proxy or a future Shopify that honours it); and Shopify itself refuses
 * quantities already fulfilled, which after an attempt of unknown fate is retried, not failed, until a read shows
 * nothing left. 429, 5xx and network errors climb the delay ladder; any other 4xx or a user error is permanent.
 */
export class FulfillmentSender {
  readonly #o: Required<Omit<FulfillmentSenderOptions, 'now' | 'logger' | 'metrics' | 'tokenKeys'>> &
    Pick<FulfillmentSenderOptions, 'logger' | 'metrics' | 'tokenKeys'> & { now: () => Date };

  constructor(options: FulfillmentSenderOptions) {
    this.#o = { leaseMs: 120_000, batchSize: 20, now: () => new Date(), ...options };
  }

  async tick(): Promise<number> {
    const now = this.#o.now();
    const deadline = Date.now() + this.#o.leaseMs;
    const { rows } = await this.#o.pool.query<ClaimedFulfillment>(CLAIM_FULFILLMENTS, [
      now,
      new Date(now.getTime() + this.#o.leaseMs),
      this.#o.batchSize,
    ]);
    const uncertain = rows.filter((row) => row.uncertain);
    if (uncertain.length > 0) {
      this.#o.metrics?.uncertainResend('shopify_fulfillment', uncertain.length);
      this.#o.logger?.warn(
        { fulfillmentIds: uncertain.map((row) => row.id) },
        'fulfilments found sending after their lease: sent again with the same idempotency key',
      );
    }
    const recorded = await Promise.all(
      rows.map(async (row) => {
        const outcome = await this.#send(row);
        return recordOutcome(() => this.#finish(row, outcome), {
          deadline,
          logger: this.#o.logger,
          what: { fulfillmentId: row.id, status: outcome.status },
        });
      }),
    );
    if (recorded.includes(false)) throw new Error('fulfilment outcomes not recorded');
    return rows.length;
  }

  async #send(row: ClaimedFulfillment): Promise<Outcome> {
    let creating = false;
    try {
      const accessToken = this.#accessToken(row);
      const lines = await this.#stillActive(row);
      if (lines.length === 0) return { status: 'failed', error: 'grants_revoked', errorClass: 'grants_revoked' };
      const data = await this.#o.client.graphql<FulfillmentOrdersData>(
        row.shop_domain,
        accessToken,
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
      if (byFulfillmentOrder.length === 0) return { status: 'created', shopifyId: null }; // already done
      creating = true;
      const created = await this.#o.client.graphql<FulfillmentCreateData>(
        row.shop_domain,
        accessToken,
        FULFILLMENT_CREATE_MUTATION,
        { fulfillment: { lineItemsByFulfillmentOrder: byFulfillmentOrder, notifyCustomer: false } },
        row.id,
      );
      const { fulfillment, userErrors } = created.fulfillmentCreate;
      if (userErrors.length > 0 || !fulfillment) {
        const message = userErrors.map((e) => e.message).join('; ') || 'no fulfillment returned';
        // After an attempt whose fate is unknown, a refusal is most likely our own first create seen from the
        // other side (Shopify does not dedupe fulfillmentCreate by key; it refuses quantities already fulfilled)
        // and a lagging read hid it. Retried on the ladder: a later read shows nothing left, and the row is done.
        if (row.uncertain || row.uncertain_sends > 0) throw new RefusedAfterUnknownOutcome(message);
        throw new ShopifyPermanentError(message);
      }
      return { status: 'created', shopifyId: fulfillment.id.split('/').pop() ?? null };
    } catch (err) {
      const message = err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 500) : String(err);
      const permanent = err instanceof ShopifyPermanentError;
      const delay = permanent ? undefined : this.#o.retryDelaysMs[row.attempts - 1];
      if (delay === undefined) {
        return { status: 'failed', error: message, errorClass: permanent ? 'permanent' : 'transient' };
      }
      // A transient failure of the create itself (a timeout, a 5xx from a gateway) may come after Shopify acted:
      // counted like a resend after a crash; the retry re-reads what is left and carries the same key.
      const uncertain = creating && !(err instanceof RefusedAfterUnknownOutcome);
      return { status: 'pending', error: message, nextAttemptAt: new Date(this.#o.now().getTime() + delay), uncertain };
    }
  }

  /**
   * The shop's token in clear, for this call only. The OAuth install stores it sealed (@single/db shop-token); a
   * value in clear is one written before tokens were sealed (fixtures, the demo's seed: nothing in production
   * wrote a token before the install flow) and is used as it is. A sealed token that does not open (its key not
   * configured, or the value altered) fails the row as permanent: retrying cannot open it.
   */
  #accessToken(row: ClaimedFulfillment): string {
    if (!row.access_token) throw new ShopifyPermanentError('no_access_token');
    if (!isSealedShopToken(row.access_token)) return row.access_token;
    try {
      return openShopToken(row.access_token, row.shop_domain, this.#o.tokenKeys ?? []);
    } catch (err) {
      throw new ShopifyPermanentError(err instanceof ShopTokenError ? err.message : 'shop token unreadable');
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

  /** Writes the outcome only while the claim is still this sender's (same attempt, still `sending`). */
  async #finish(row: ClaimedFulfillment, outcome: Outcome): Promise<void> {
    const written = await this.#o.pool.query(
      `UPDATE fulfillment SET status = $2::fulfillment_status, shopify_fulfillment_id = $3::bigint, last_error = $4,
         error_class = $5, next_attempt_at = coalesce($6, next_attempt_at), updated_at = now(),
         uncertain_sends = uncertain_sends + $8::int
       WHERE id = $1 AND status = 'sending' AND attempts = $7`,
      [
        row.id,
        outcome.status,
        outcome.status === 'created' ? outcome.shopifyId : null,
        outcome.status === 'created' ? null : outcome.error,
        outcome.status === 'failed' ? outcome.errorClass : null,
        outcome.status === 'pending' ? outcome.nextAttemptAt : null,
        row.attempts,
        outcome.status === 'pending' && outcome.uncertain ? 1 : 0,
      ],
    );
    // Another sender took the row (this lease ran out): its outcome, and its counts, are that sender's.
    if (written.rowCount !== 1) return;
    if (outcome.status === 'pending' && outcome.uncertain) this.#o.metrics?.uncertainResend('shopify_fulfillment');
    if (outcome.status === 'failed') this.#o.metrics?.failed('shopify_fulfillment', outcome.errorClass);
  }
}
