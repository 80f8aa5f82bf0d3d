import { Prisma } from '@single/db';
import { execute, type Runner } from '../support/db.ts';

/**
 * Queues a digital fulfilment for each of these orders' digital lines whose grants are all active and that
 * no earlier fulfilment covers (a pre-order line gets its own once the scheduler activates it). Runs in the
 * transaction that activated the grants, under the order's lock; the key makes it idempotent.
 */
export async function queueDigitalFulfillments(client: Runner, orderIds: readonly string[], now: Date): Promise<void> {
  if (orderIds.length === 0) return;
  const queued = await execute(
    client,
    Prisma.sql`INSERT INTO fulfillment (order_id, idempotency_key, line_item_ids, next_attempt_at, created_at, updated_at)
     SELECT ol.order_id,
            'digital:' || ol.order_id || ':' || string_agg(ol.shopify_line_id::text, ',' ORDER BY ol.shopify_line_id),
            array_agg(ol.shopify_line_id ORDER BY ol.shopify_line_id), ${now}::timestamptz, ${now}::timestamptz,
            ${now}::timestamptz
     FROM order_line ol JOIN orders o ON o.id = ol.order_id
     WHERE ol.order_id = ANY(${orderIds}::uuid[]) AND NOT ol.requires_shipping AND NOT o.test AND o.cancelled_at IS NULL
       AND EXISTS (SELECT 1 FROM download_grant g WHERE g.order_line_id = ol.id AND g.status = 'active')
       AND NOT EXISTS (SELECT 1 FROM download_grant g WHERE g.order_line_id = ol.id AND g.status = 'scheduled')
       AND NOT EXISTS (SELECT 1 FROM fulfillment f WHERE f.order_id = ol.order_id AND ol.shopify_line_id = ANY(f.line_item_ids))
     GROUP BY ol.order_id
     ON CONFLICT (idempotency_key) DO NOTHING`,
  );
  if (queued) await execute(client, Prisma.sql`SELECT pg_notify('fulfillment', '')`);
}
