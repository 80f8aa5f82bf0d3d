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
  /** The raw JSON text as Shopify sent it; stored as jsonb for the delivery log and replay. */
  payloadJson: string;
  payloadExpiresAt: string;
  /** JSON of the request span's trace headers. */
  traceHeadersJson: string;
}

export type ClaimResult = { status: 'accepted'; deliveryId: string } | { status: 'duplicate' };

/** The three keys a delivery is claimed under; any of them already taken makes it a duplicate. */
export function dedupeKeys(d: Pick<NewDelivery, 'shopDomain' | 'webhookId' | 'topic' | 'eventId' | 'dedupeFamily' | 'bodySha256'>): string[] {
  const keys = [`w:${d.shopDomain}:${d.webhookId}`, `b:${d.shopDomain}:${d.dedupeFamily}:${d.bodySha256}`];
  if (d.eventId) keys.push(`e:${d.shopDomain}:${d.topic}:${d.eventId}`);
  return keys;
}

// One statement claims a whole batch: the delivery rows (the unique constraints are the dedupe guard)
// and, in the same transaction, the outbox rows that oblige the relay to publish them; then wakes the relay.
const CLAIM_SQL = `
WITH input AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::timestamptz[], $9::timestamptz[], $10::text[], $11::text[], $12::timestamptz[], $13::text[])
    WITH ORDINALITY AS t(shop_domain, topic, webhook_id, event_id, body_sha256, dedupe_family, lane,
                         triggered_at, received_at, api_version, payload, payload_expires_at, trace_headers, ord)
), inserted AS (
  INSERT INTO webhook_delivery (shop_domain, topic, webhook_id, event_id, body_sha256, dedupe_family, lane,
                                triggered_at, received_at, api_version, payload, payload_expires_at)
  SELECT shop_domain, topic, webhook_id, event_id, body_sha256, dedupe_family, lane,
         triggered_at, received_at, api_version, payload::jsonb, payload_expires_at
  FROM input ORDER BY ord
  ON CONFLICT DO NOTHING
  RETURNING id, shop_domain, webhook_id, lane
), queued AS (
  INSERT INTO dispatch_outbox (delivery_id, lane, trace_headers)
  SELECT i.id, i.lane, input.trace_headers::jsonb
  FROM inserted i JOIN input ON input.shop_domain = i.shop_domain AND input.webhook_id = i.webhook_id
  ORDER BY i.id
)
SELECT id::text, shop_domain, webhook_id, pg_notify('dispatch_outbox', lane) FROM inserted`;

export class DeliveryRepository {
  private readonly pool: Pool;

  constructor(pool: Pool) {
    this.pool = pool;
  }

  /** Claims a batch whose items are pairwise distinct on every dedupe key (the caller guarantees it). */
  async claimBatch(items: readonly NewDelivery[]): Promise<ClaimResult[]> {
    if (items.length === 0) return [];
    const col = <K extends keyof NewDelivery>(k: K) => items.map((i) => i[k]);
    const { rows } = await this.pool.query<{ id: string; shop_domain: string; webhook_id: string }>(CLAIM_SQL, [
      col('shopDomain'),
      col('topic'),
      col('webhookId'),
      col('eventId'),
      col('bodySha256'),
      col('dedupeFamily'),
      col('lane'),
      col('triggeredAt'),
      col('receivedAt'),
      col('apiVersion'),
      col('payloadJson'),
      col('payloadExpiresAt'),
      col('traceHeadersJson'),
    ]);
    const ids = new Map(rows.map((r) => [`${r.shop_domain}\n${r.webhook_id}`, r.id]));
    return items.map((i) => {
      const id = ids.get(`${i.shopDomain}\n${i.webhookId}`);
      return id ? { status: 'accepted', deliveryId: id } : { status: 'duplicate' };
    });
  }
}
