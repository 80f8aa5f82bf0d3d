// Owned by webhook-dispatcher (it owns webhook_delivery). Exported here so that the privacy handlers of
// the fulfillment worker reach the delivery log without writing the dispatcher's table themselves.
import type { PurgeScope, PurgeSql } from './types.ts';

/**
 * Nulls the stored payloads (kept for replay, they hold personal data) of the shop's deliveries, or of the
 * deliveries about the customer's orders and any delivery naming the customer. It matches on the ids the
 * dispatcher took from each payload at intake (`shopify_order_id`, `shopify_customer_id`) and never parses a
 * payload: one body jsonb refuses (an escaped NUL, a lone surrogate) must not fail a redaction. The delivery
 * rows stay: they are the dedupe guard and hold no personal data without the payload. Returns how many.
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
       AND (shopify_order_id = ANY($2::text[]) OR ($3::text IS NOT NULL AND shopify_customer_id = $3))`,
    [scope.shopDomain, scope.orderIds, scope.customerId ?? null],
  );
  return rowCount ?? 0;
}
