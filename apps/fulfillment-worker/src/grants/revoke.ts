import {
  appendSalesEvents,
  buildSalesEvent,
  REPORTED_UNIT,
  UNIT_FACTS_COLUMNS,
  type UnitFacts,
} from '../sales/sales-events.ts';
import type { Sql } from '../support/db.ts';

/**
 * Revokes grants that are no longer owed and reverses their sales, in the caller's transaction. The status
 * transition is the idempotency guard: a grant is revoked (and its reversal emitted) exactly once.
 * Scheduled grants are revoked too, which cancels the pre-order delivery. A unit that was never granted
 * (refund before payment) has no sale to reverse.
 *
 * `wholeOrder`: every grant of these orders (cancellation); otherwise only units above what the line still
 * owes after refunds (quantity - refunded_quantity).
 */
export async function revokeGrants(
  client: Sql,
  orderIds: readonly string[],
  options: { wholeOrder: boolean; now: Date },
): Promise<number> {
  if (orderIds.length === 0) return 0;
  const { rows } = await client.query<UnitFacts & { reported: boolean }>(
    `WITH revoked AS (
       UPDATE download_grant g SET status = 'revoked', revoked_at = $3
       FROM order_line ol
       WHERE g.order_line_id = ol.id AND ol.order_id = ANY($1::uuid[]) AND g.status IN ('scheduled', 'active')
         AND ($2::boolean OR g.unit_index >= ol.quantity - ol.refunded_quantity)
       RETURNING g.id, g.order_line_id, g.release_id, g.unit_index, g.track_id, g.reported, g.unit_gross,
         g.unit_discount, g.unit_tax, g.unit_net, g.merch_bundle, g.fan_pack
     )
     SELECT ${UNIT_FACTS_COLUMNS}, ${REPORTED_UNIT} AS reported
     FROM revoked g JOIN order_line ol ON ol.id = g.order_line_id JOIN orders o ON o.id = ol.order_id
     JOIN release r ON r.id = g.release_id LEFT JOIN track t ON t.id = g.track_id
     ORDER BY o.id, ol.shopify_line_id, g.unit_index`,
    [orderIds, options.wholeOrder, options.now],
  );
  await appendSalesEvents(
    client,
    // Revoked: every release of the unit. Reversed: the reported one, the only one with a sale.
    rows.filter((unit) => unit.reported).map((unit) => buildSalesEvent('sale.reversed', unit, options.now)),
  );
  return rows.length;
}
