import type { Pool } from 'pg';
import type { Lane } from '../shopify/topics.ts';

export interface NewDelivery {
  shopDomain: string;
  topic: string;
  webhookId: string;
  eventId: string | null;
  bodySha256: string;
  dedupeFamily: string;
  lane: Lane;
  triggeredAt: string | null;
  receivedAt: string;
  apiVersion: string | null;
  /** The raw JSON text as Shopify sent it; stored as is (text) for the delivery log and replay. */
  payloadJson: string;
  payloadExpiresAt: string;
  /** JSON of the request span's trace headers. */
  traceHeadersJson: string;
  /** The ids the privacy purges match on, taken from the parsed payload (see purge-keys.ts); the route sets both. */
  shopifyOrderId?: string | null;
  shopifyCustomerId?: string | null;
}

export type ClaimResult =
  | { status: 'accepted'; deliveryId: string }
  | { status: 'duplicate' }
  /** No row in `shop`: never connected. Nothing was stored. */
  | { status: 'unknown_shop' };

/**
 * The three keys a delivery is claimed under; any of them already taken makes it a duplicate. The body key
 * is the sha256 of the bytes alone, with neither shop nor topic in it: Shopify signs only the body, and
 * both are headers, so the same bytes under another shop's or topic's header are a replay, never a second
 * delivery (PostgreSQL's unique key on body_sha256 says the same).
 */
export function dedupeKeys(
  d: Pick<NewDelivery, 'shopDomain' | 'webhookId' | 'topic' | 'eventId' | 'bodySha256'>,
): string[] {
  const keys = [`w:${d.shopDomain}:${d.webhookId}`, `b:${d.bodySha256}`];
  if (d.eventId) keys.push(`e:${d.shopDomain}:${d.topic}:${d.eventId}`);
  return keys;
}

/** The keys scoped to one shop (webhook id, event id): the body key alone may span shops. */
export function shopScopedKeys(keys: readonly string[]): string[] {
  return keys.filter((k) => !k.startsWith('b:'));
}

// One statement claims a whole batch: the delivery rows (the unique constraints are the dedupe guard)
// and, in the same transaction, the outbox rows that oblige the relay to publish them. No pg_notify here
// (see OutboxWaker): the caller wakes the relay once the batch has committed.
// Only shops with a row in `shop` are inserted (checked here, in the statement, even though the route asked
// first: a cached answer is never the guard). Two items of one batch with the same body but different shops
// are both sent: the unique key on the body keeps the first one whose shop exists (ORDER BY ord).
// Rows travel as plain parameters of a multi-row VALUES: array parameters would make the driver escape
// every 7 KB payload into an array literal, which costs more than the insert itself.
const COLUMNS = 15;
/** Exported for bench/data-layer, which runs this text through pg and through Prisma. */
export function claimSql(rows: number): string {
  const values = Array.from({ length: rows }, (_, r) => {
    const p = (c: number) => `$${r * COLUMNS + c}`;
    return `(${r}, ${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)}, ${p(8)}::timestamptz, ${p(9)}::timestamptz, ${p(10)}, ${p(11)}, ${p(12)}::timestamptz, ${p(13)}::jsonb, ${p(14)}, ${p(15)})`;
  });
  return `
WITH input (ord, shop_domain, topic, webhook_id, event_id, body_sha256, dedupe_family, lane, triggered_at, received_at,
            api_version, payload, payload_expires_at, trace_headers, shopify_order_id, shopify_customer_id) AS (VALUES ${values.join(',\n')}
), inserted AS (
  INSERT INTO webhook_delivery (shop_domain, topic, webhook_id, event_id, body_sha256, dedupe_family, lane,
                                triggered_at, received_at, api_version, payload, payload_expires_at,
                                shopify_order_id, shopify_customer_id)
  SELECT shop_domain, topic, webhook_id, event_id, body_sha256, dedupe_family, lane,
         triggered_at, received_at, api_version, payload, payload_expires_at, shopify_order_id, shopify_customer_id
  FROM input WHERE EXISTS (SELECT 1 FROM shop WHERE shop.domain = input.shop_domain) ORDER BY ord
  ON CONFLICT DO NOTHING
  RETURNING id, shop_domain, webhook_id, lane
), queued AS (
  INSERT INTO dispatch_outbox (delivery_id, lane, trace_headers)
  SELECT i.id, i.lane, input.trace_headers
  FROM inserted i JOIN input ON input.shop_domain = i.shop_domain AND input.webhook_id = i.webhook_id
  ORDER BY i.id
)
SELECT id::text, shop_domain, webhook_id FROM inserted
UNION ALL
SELECT NULL, shop_domain, webhook_id FROM input WHERE NOT EXISTS (SELECT 1 FROM shop WHERE shop.domain = input.shop_domain)`;
}

export class DeliveryRepository {
  private readonly pool: Pool;

  constructor(pool: Pool) {
    this.pool = pool;
  }

  /**
   * Claims a batch whose items are pairwise distinct on their shop-scoped keys (the caller guarantees it).
   * With `deadlineAt` (epoch ms), PostgreSQL cancels the statement when that time is up (statement_timeout,
   * set on the connection for this statement only): the batch is then written entirely or not at all, and
   * never after its requests were answered. The timeout covers the statement, not its commit, which follows
   * at once.
   */
  async claimBatch(items: readonly NewDelivery[], deadlineAt?: number): Promise<ClaimResult[]> {
    if (items.length === 0) return [];
    const params = items.flatMap((i) => [
      i.shopDomain,
      i.topic,
      i.webhookId,
      i.eventId,
      i.bodySha256,
      i.dedupeFamily,
      i.lane,
      i.triggeredAt,
      i.receivedAt,
      i.apiVersion,
      i.payloadJson,
      i.payloadExpiresAt,
      i.traceHeadersJson,
      i.shopifyOrderId ?? null,
      i.shopifyCustomerId ?? null,
    ]);
    const rows =
      deadlineAt === undefined
        ? await this.query(items.length, params)
        : await this.queryBy(deadlineAt, items.length, params);
    const ids = new Map(rows.map((r) => [`${r.shop_domain}\n${r.webhook_id}`, r.id]));
    return items.map((i) => {
      const id = ids.get(`${i.shopDomain}\n${i.webhookId}`);
      if (id === null) return { status: 'unknown_shop' };
      return id ? { status: 'accepted', deliveryId: id } : { status: 'duplicate' };
    });
  }

  private async query(rows: number, params: unknown[]): Promise<ClaimedRow[]> {
    return (await this.pool.query<ClaimedRow>(claimSql(rows), params)).rows;
  }

  private async queryBy(deadlineAt: number, rows: number, params: unknown[]): Promise<ClaimedRow[]> {
    const client = await this.pool.connect();
    // A connection whose session state is in doubt (statement_timeout not reset) is not given back.
    let discard = false;
    try {
      // Measured after the wait for a connection, which counts against the deadline too.
      const ms = Math.floor(deadlineAt - Date.now());
      if (ms < 1) throw new ClaimStatementTimeoutError('claim deadline passed before the statement started');
      await client.query(`SELECT set_config('statement_timeout', $1, false)`, [String(ms)]);
      try {
        return (await client.query<ClaimedRow>(claimSql(rows), params)).rows;
      } catch (err) {
        if ((err as { code?: string }).code === QUERY_CANCELED) {
          throw new ClaimStatementTimeoutError('claim statement cancelled at its deadline', { cause: err });
        }
        throw err;
      } finally {
        await client.query('RESET statement_timeout').catch(() => {
          discard = true;
        });
      }
    } catch (err) {
      if (!(err instanceof ClaimStatementTimeoutError)) discard = true;
      throw err;
    } finally {
      client.release(discard);
    }
  }
}

const QUERY_CANCELED = '57014';

interface ClaimedRow {
  id: string | null;
  shop_domain: string;
  webhook_id: string;
}

/** PostgreSQL cancelled the claim statement at its deadline (or it could not start in time): nothing was written. */
export class ClaimStatementTimeoutError extends Error {
  override readonly name = 'ClaimStatementTimeoutError';
  readonly code = 'CLAIM_STATEMENT_TIMEOUT';
}
