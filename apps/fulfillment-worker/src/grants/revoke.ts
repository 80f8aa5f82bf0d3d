import { Prisma } from '@single/db';
import {
  appendSalesEvents,
  buildSalesEvent,
  REPORTED_UNIT,
  type TraceOf,
  UNIT_FACTS_COLUMNS,
  type UnitFacts,
} from '../sales/sales-events.ts';
import { type Runner, rowsOf } from '../support/db.ts';

/**
 * Revokes grants that are no longer owed and reverses their sales, in the caller's transaction. The status
 * transition is the idempotency guard: a grant is revoked (and its reversal emitted) exactly once.
 * Scheduled grants are revoked too, which cancels the pre-order delivery; an expired link's sale is reversed
 * too (the fan had it: the refund takes it back). A unit that was never granted (refund before payment) has no
 * sale to reverse.
 *
 * `wholeOrder`: every grant of these orders (cancellation); otherwise the line's units above what it still owes
 * (quantity - refunded_quantity), whether a refund or an order edit lowered it. Units are counted by position
 * among the line's units not yet revoked (unit indexes are never reused, so they may have gaps) and the highest
 * go first: a refund of 1 unit revokes exactly one unit. Returns the units revoked per order.
 * One statement, on the snapshot batch's pg client or the refund's Prisma transaction (`Runner`).
 */
export async function revokeGrants(
  client: Runner,
  orderIds: readonly string[],
  options: { wholeOrder: boolean; now: Date; traceOf?: TraceOf },
): Promise<Map<string, number>> {
  const revokedByOrder = new Map<string, number>();
  if (orderIds.length === 0) return revokedByOrder;
  const rows = await rowsOf<UnitFacts & { reported: boolean; orderId: string }>(
    client,
    Prisma.sql`WITH live AS (
       SELECT g.id, ol.quantity - ol.refunded_quantity AS owed,
         dense_rank() OVER (PARTITION BY g.order_line_id ORDER BY g.unit_index) - 1 AS position
       FROM download_grant g JOIN order_line ol ON ol.id = g.order_line_id
       WHERE ol.order_id = ANY(${orderIds}::uuid[]) AND g.status <> 'revoked'
     ), revoked AS (
       UPDATE download_grant g SET status = 'revoked', revoked_at = ${options.now}::timestamptz, token_sealed = NULL
       FROM live
       WHERE g.id = live.id AND g.status IN ('scheduled', 'active', 'expired')
         AND (${options.wholeOrder}::boolean OR live.position >= live.owed)
       RETURNING g.id, g.order_line_id, g.release_id, g.unit_index, g.track_id, g.reported, g.unit_gross,
         g.unit_discount, g.unit_tax, g.unit_net, g.merch_bundle, g.fan_pack
     )
     SELECT ${Prisma.raw(UNIT_FACTS_COLUMNS)}, ${Prisma.raw(REPORTED_UNIT)} AS reported, o.id AS "orderId"
     FROM revoked g JOIN order_line ol ON ol.id = g.order_line_id JOIN orders o ON o.id = ol.order_id
     JOIN release r ON r.id = g.release_id LEFT JOIN track t ON t.id = g.track_id
     ORDER BY o.id, ol.shopify_line_id, g.unit_index`,
  );
  await appendSalesEvents(
    client,
    // Revoked: every release of the unit. Reversed: the reported one, the only one with a sale.
    rows
      .filter((unit) => unit.reported)
      .map(({ orderId: _, ...unit }) => buildSalesEvent('sale.reversed', unit, options.now)),
    options.traceOf,
  );
  for (const row of rows) revokedByOrder.set(row.orderId, (revokedByOrder.get(row.orderId) ?? 0) + 1);
  return revokedByOrder;
}
