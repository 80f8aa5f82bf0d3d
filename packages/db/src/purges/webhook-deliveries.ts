// Owned by webhook-dispatcher (it owns webhook_delivery). Exported here so that the privacy handlers of
// the fulfillment worker reach the delivery log without writing the dispatcher's table themselves.
import type { PurgeScope, PurgeSql } from './types.ts';

/**
 * Nulls the stored payloads (kept for replay, they hold personal data) of the shop's deliveries, or of the
 * deliveries about the customer's orders (order topics by `id`, refunds by `order_id`) and any payload
 * naming the customer. The delivery rows stay: they are the dedupe guard and hold no personal data
 * without the payload. Returns how many payloads were purged.
 */
export async function purgeWebhookDeliveryPayloads(
  db: PurgeSql,
  scope: PurgeScope & { customerId?: string },
): Promise<number> {
  if (scope.all) {
    const { rowCount } = await db.query(
      'UPDATE webhook_delivery SET payload = NULL WHERE shop_domain = $1 AND payload IS NOT NULL',
      [scope.shopDomain],
    );
    return rowCount ?? 0;
  }
  const { rowCount } = await db.query(
    `UPDATE webhook_delivery SET payload = NULL
     WHERE shop_domain = $1 AND payload IS NOT NULL
       AND (payload::jsonb->>'id' = ANY($2::text[]) OR payload::jsonb->>'order_id' = ANY($2::text[])
            OR ($3::text IS NOT NULL AND payload::jsonb->'customer'->>'id' = $3))`,
    [scope.shopDomain, scope.orderIds, scope.customerId ?? null],
  );
  return rowCount ?? 0;
}
