// Owned by geo-reporting (geo_capture, located_sale, sale_line, chart_fan_key). Exported here so that the
// privacy handlers of the fulfillment worker reach every copy of a fan's data (GUIDE: privacy) without
// writing geo-reporting's tables themselves.
import type { PurgeScope, PurgeSql } from './types.ts';

export interface GeoPurgeResult {
  captures: number;
  locatedSales: number;
  saleLines: number;
  fanKeys: number;
  /** stored chart files of the days those sale lines are reported in, deleted for the job to make again */
  chartFiles: number;
}

/**
 * Removes what identifies or locates the fan and keeps the non-identifying sale data the charts and the
 * dashboard still need (country, release, price, eligibility, reason codes):
 * - geo_capture (by checkout token): the token itself, client IP, forwarded chain, postal code, city, coordinates;
 * - located_sale (by order): postal code, city, region and the hashed fan identifiers;
 * - sale_line (by order): the ZIP;
 * - chart_fan_key: the hashed identifiers registered for those sale lines, strong (order, checkout, email) and
 *   weak (IP + ZIP) alike ("one unit per fan" can no longer link a later purchase to the redacted one, which is
 *   what erasure means).
 * - report_file: the stored chart files of the business days those sale lines are reported in hold their order
 *   ids and ZIPs, so they are deleted; the scheduled chart-file job makes each missing day again (within its
 *   catch-up window, older days by `cmdr reports produce`) from the purged sale lines: a corrected file. Files
 *   already delivered to the chart are outside our reach. regional_rollup holds aggregates only (units and
 *   amounts per release, day and place), nothing of one order or fan, and stays.
 */
export async function purgeGeoPersonalData(db: PurgeSql, scope: PurgeScope): Promise<GeoPurgeResult> {
  const all = scope.all === true;
  const orderIds = scope.all ? [] : scope.orderIds;
  const tokens = scope.all ? [] : (scope.checkoutTokens ?? []);
  // Before the ZIPs are nulled: which days' files hold them (a whole shop's, or only these orders').
  const chartFiles = await db.query(
    `DELETE FROM report_file f USING (
       SELECT DISTINCT chart, business_date FROM sale_line
       WHERE shop_domain = $1 AND ($2::boolean OR order_id = ANY($3::text[])) AND business_date IS NOT NULL) d
     WHERE f.chart = d.chart AND f.business_date = d.business_date`,
    [scope.shopDomain, all, orderIds],
  );
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
    `UPDATE geo_capture SET checkout_token = NULL, client_ip = NULL, chain = '{}', postal = NULL, city = NULL,
       latitude = NULL, longitude = NULL, accuracy_radius_km = NULL
     WHERE shop_domain = $1 AND ($2::boolean OR checkout_token = ANY($3::text[]))
       AND (checkout_token IS NOT NULL OR client_ip IS NOT NULL OR cardinality(chain) > 0 OR postal IS NOT NULL
            OR city IS NOT NULL OR latitude IS NOT NULL)`,
    [scope.shopDomain, all, tokens],
  );
  return {
    captures: captures.rowCount ?? 0,
    locatedSales: locatedSales.rowCount ?? 0,
    saleLines: saleLines.rowCount ?? 0,
    fanKeys: fanKeys.rowCount ?? 0,
    chartFiles: chartFiles.rowCount ?? 0,
  };
}
