// Owned by the fulfillment worker (fan_data_key, fan_data_key_order): the keys that seal the fan facts of the
// sales.v1 events (crypto-shredding). Deleting a key is what erases every Kafka copy of those facts.
import type { PurgeScope, PurgeSql } from './types.ts';

/**
 * Deletes the fan data keys of the shop (shop/redact), or of the customer and of every key that sealed events of
 * these orders (customers/redact; guest orders are reached by order id). Returns how many keys were deleted.
 */
export async function purgeFanDataKeys(db: PurgeSql, scope: PurgeScope & { customerId?: string }): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM fan_data_key k WHERE k.shop_domain = $1 AND (
       $2::boolean OR k.subject = 'customer:' || $4::text
       OR k.id IN (SELECT key_id FROM fan_data_key_order WHERE shop_domain = $1 AND shopify_order_id = ANY($3::text[])))`,
    [scope.shopDomain, scope.all === true, scope.all ? [] : scope.orderIds, scope.customerId ?? null],
  );
  return rowCount ?? 0;
}
