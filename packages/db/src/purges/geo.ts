// Owned by geo-reporting (geo_capture, located_sale, sale_line, chart_fan_key). Exported here so that the
// privacy handlers of the fulfillment worker reach every copy of a fan's data (GUIDE: privacy) without
// writing geo-reporting's tables themselves.
import type { PurgeScope, PurgeSql } from './types.ts';

export interface GeoPurgeResult {
  captures: number;
  locatedSales: number;
  saleLines: number;
  fanKeys: number;
}

/**
 * Removes what identifies or locates the fan and keeps the non-identifying sale data the charts and the
 * dashboard still need (country, release, price, eligibility, reason codes):
 * - geo_capture (by checkout token): client IP, forwarded chain, postal code, city, coordinates;
 * - located_sale (by order): postal code, city, region and the hashed fan identifiers;
 * - sale_line (by order): the ZIP;
 * - chart_fan_key: the hashed identifiers registered for those sale lines, strong (order, checkout, email) and
 *   weak (IP + ZIP) alike ("one unit per fan" can no longer link a later purchase to the redacted one, which is
 *   what erasure means).
 * Report files already generated are records of what was reported and are not rewritten.
 */
export async function purgeGeoPersonalData(db: PurgeSql, scope: PurgeScope): Promise<GeoPurgeResult> {
  const all = scope.all === true;
  const orderIds = scope.all ? [] : scope.orderIds;
  const tokens = scope.all ? [] : (scope.checkoutTokens ?? []);
  const fanKeys = await db.query(
    `DELETE FROM chart_fan_key WHERE sale_line_id IN (
       SELECT id FROM sale_line WHERE shop_domain = $1 AND ($2::boolean OR order_id = ANY($3::text[])))`,
    [scope.shopDomain, all, orderIds],
  );
  const saleLines = await db.query(
    `UPDATE sale_line SET zip = NULL, updated_at = now()
     WHERE shop_domain = $1 AND ($2::boolean OR order_id = ANY($3::text[])) AND zip IS NOT NULL`,
    [scope.shopDomain, all, orderIds],
  );
  const locatedSales = await db.query(
    `UPDATE located_sale SET postal = NULL, city = NULL, region = NULL, fan_keys = '{}'
     WHERE shop_domain = $1 AND ($2::boolean OR order_id = ANY($3::text[]))
       AND (postal IS NOT NULL OR city IS NOT NULL OR region IS NOT NULL OR cardinality(fan_keys) > 0)`,
    [scope.shopDomain, all, orderIds],
  );
  const captures = await db.query(
    `UPDATE geo_capture SET client_ip = NULL, chain = '{}', postal = NULL, city = NULL, latitude = NULL,
       longitude = NULL, accuracy_radius_km = NULL
     WHERE shop_domain = $1 AND ($2::boolean OR checkout_token = ANY($3::text[]))
       AND (client_ip IS NOT NULL OR cardinality(chain) > 0 OR postal IS NOT NULL OR city IS NOT NULL
            OR latitude IS NOT NULL)`,
    [scope.shopDomain, all, tokens],
  );
  return {
    captures: captures.rowCount ?? 0,
    locatedSales: locatedSales.rowCount ?? 0,
    saleLines: saleLines.rowCount ?? 0,
    fanKeys: fanKeys.rowCount ?? 0,
  };
}
