import type { Pool } from 'pg';
import { revokeGrants } from '../../grants/revoke.ts';
import type { RefundCreated } from '../../shopify/payloads.ts';
import { inTransaction, lockOrders } from '../../support/db.ts';
import { placedWhileInstalled } from '../install-window.ts';

export type RefundOutcome =
  | { status: 'applied'; grantsRevoked: number }
  /** The order is not stored yet: the refund is kept and applied when the order arrives. */
  | { status: 'pending_order' }
  | { status: 'shop_uninstalled' };

/**
 * Records the refund's lines (unique per refund and line, so a redelivery adds nothing), then, if the
 * order is known, lowers what each line still owes and revokes the grants above it, reversing their sales.
 * A refund that arrives before the order is applied by the order snapshot handler.
 */
export async function applyRefund(
  pool: Pool,
  shopDomain: string,
  refund: RefundCreated,
  now: Date,
): Promise<RefundOutcome> {
  return inTransaction(pool, async (client) => {
    await lockOrders(client, [{ shopDomain, shopifyOrderId: refund.order_id }]);
    // Judged by time, as order snapshots are: a refund made before the uninstall, or of an order placed before
    // it (its links were sent, and the money went back), still revokes.
    const shop = await client.query<{ uninstalled_at: Date | null; order_created_at: Date | null }>(
      `SELECT CASE WHEN s.install_state = 'uninstalled' THEN s.uninstalled_at END AS uninstalled_at,
         (SELECT o.shopify_created_at FROM orders o WHERE o.shop_domain = s.domain AND o.shopify_order_id = $2) AS order_created_at
       FROM shop s WHERE s.domain = $1 AND s.install_state <> 'installed'`,
      [shopDomain, refund.order_id],
    );
    const gone = shop.rows[0];
    if (
      gone &&
      !placedWhileInstalled(gone.uninstalled_at, refund.created_at) &&
      !placedWhileInstalled(gone.uninstalled_at, gone.order_created_at?.toISOString())
    ) {
      return { status: 'shop_uninstalled' };
    }
    const lines = refund.refund_line_items.filter((l) => l.quantity > 0);
    if (lines.length > 0) {
      await client.query(
        `INSERT INTO refund_line (shop_domain, shopify_order_id, shopify_refund_id, shopify_line_id, quantity)
         SELECT $1, $2, $3, l, q FROM unnest($4::bigint[], $5::int[]) AS t(l, q)
         ON CONFLICT (shop_domain, shopify_refund_id, shopify_line_id) DO NOTHING`,
        [shopDomain, refund.order_id, refund.id, lines.map((l) => l.line_item_id), lines.map((l) => l.quantity)],
      );
    }
    const order = await client.query<{ id: string }>(
      'SELECT id FROM orders WHERE shop_domain = $1 AND shopify_order_id = $2',
      [shopDomain, refund.order_id],
    );
    const orderId = order.rows[0]?.id;
    if (orderId === undefined) return { status: 'pending_order' };
    await client.query(
      `UPDATE order_line ol SET refunded_quantity = least(ol.quantity, r.refunded)
       FROM (SELECT shopify_line_id, least(sum(quantity), 2147483647)::int AS refunded FROM refund_line
             WHERE shop_domain = $1 AND shopify_order_id = $2 GROUP BY shopify_line_id) r
       WHERE ol.order_id = $3 AND ol.shopify_line_id = r.shopify_line_id AND ol.refunded_quantity <> least(ol.quantity, r.refunded)`,
      [shopDomain, refund.order_id, orderId],
    );
    const revoked = await revokeGrants(client, [orderId], { wholeOrder: false, now });
    return { status: 'applied', grantsRevoked: revoked.get(orderId) ?? 0 };
  });
}
