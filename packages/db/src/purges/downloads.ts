// Owned by artist-api (it owns download: the redemption route records each download). Exported here so
// that the privacy handlers of the fulfillment worker reach it without writing artist-api's table.
import type { PurgeScope, PurgeSql } from './types.ts';

/**
 * Forgets the client IPs recorded for the downloads of the shop's orders, or of these Shopify orders. The
 * download rows stay (counts against the grant's limit, first redemption for the charts). Returns how many.
 */
export async function purgeDownloadClientIps(db: PurgeSql, scope: PurgeScope): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE download d SET client_ip = NULL
     FROM download_grant g, order_line ol, orders o
     WHERE d.grant_id = g.id AND g.order_line_id = ol.id AND ol.order_id = o.id AND d.client_ip IS NOT NULL
       AND o.shop_domain = $1 AND ($2::boolean OR o.shopify_order_id::text = ANY($3::text[]))`,
    [scope.shopDomain, scope.all === true, scope.all ? [] : scope.orderIds],
  );
  return rowCount ?? 0;
}
