import type { Db } from '@single/db';
import { revokeGrants } from '../../grants/revoke.ts';
import type { RefundCreated } from '../../shopify/payloads.ts';
import { lockOrders, WORKER_TRANSACTION } from '../../support/db.ts';
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
 * One Prisma transaction on the worker's client: the order's advisory lock first, as every writer of an order.
 */
export async function applyRefund(
  db: Db,
  shopDomain: string,
  refund: RefundCreated,
  now: Date,
): Promise<RefundOutcome> {
  const orderKey = { shopDomain, shopifyOrderId: BigInt(refund.order_id) };
  return db.$transaction(async (tx): Promise<RefundOutcome> => {
    await lockOrders(tx, [{ shopDomain, shopifyOrderId: refund.order_id }]);
    // Judged by time, as order snapshots are: a refund made before the uninstall, or of an order placed before
    // it (its links were sent, and the money went back), still revokes.
    const shop = await tx.shop.findFirst({
      where: { domain: shopDomain, installState: { not: 'installed' } },
      select: { installState: true, uninstalledAt: true },
    });
    if (shop) {
      const uninstalledAt = shop.installState === 'uninstalled' ? shop.uninstalledAt : null;
      const order = await tx.order.findUnique({
        where: { shopDomain_shopifyOrderId: orderKey },
        select: { shopifyCreatedAt: true },
      });
      if (
        !placedWhileInstalled(uninstalledAt, refund.created_at) &&
        !placedWhileInstalled(uninstalledAt, order?.shopifyCreatedAt?.toISOString())
      ) {
        return { status: 'shop_uninstalled' };
      }
    }
    const lines = refund.refund_line_items.filter((l) => l.quantity > 0);
    // ON CONFLICT (shop_domain, shopify_refund_id, shopify_line_id) DO NOTHING: a redelivery adds nothing.
    await tx.refundLine.createMany({
      data: lines.map((l) => ({
        shopDomain,
        shopifyOrderId: orderKey.shopifyOrderId,
        shopifyRefundId: BigInt(refund.id),
        shopifyLineId: BigInt(l.line_item_id),
        quantity: l.quantity,
      })),
      skipDuplicates: true,
    });
    const order = await tx.order.findUnique({ where: { shopDomain_shopifyOrderId: orderKey }, select: { id: true } });
    if (!order) return { status: 'pending_order' };
    // Typed SQL: an update from an aggregate of the refund lines (the client updates rows by constant values).
    await tx.$executeRaw`
      UPDATE order_line ol SET refunded_quantity = least(ol.quantity, r.refunded)
      FROM (SELECT shopify_line_id, least(sum(quantity), 2147483647)::int AS refunded FROM refund_line
            WHERE shop_domain = ${shopDomain} AND shopify_order_id = ${refund.order_id}::bigint GROUP BY shopify_line_id) r
      WHERE ol.order_id = ${order.id}::uuid AND ol.shopify_line_id = r.shopify_line_id
        AND ol.refunded_quantity <> least(ol.quantity, r.refunded)`;
    const revoked = await revokeGrants(tx, [order.id], { wholeOrder: false, now });
    return { status: 'applied', grantsRevoked: revoked.get(order.id) ?? 0 };
  }, WORKER_TRANSACTION);
}
