// What a customers/data_request export reads from tables the fulfillment worker does not own, exported here
// beside each owner's purge (GUIDE: privacy) so that the export reaches every copy the purges erase: artist-api's
// download log (client IPs) and geo-reporting's checkout captures. Read-only.

/** Anything with pg's `query` (a Pool, a PoolClient). */
interface Queryable {
  query<R extends Record<string, unknown> = Record<string, unknown>>(
    text: string,
    values?: unknown[],
  ): Promise<{ rows: R[] }>;
}

export interface ExportedDownload {
  grantId: string;
  at: Date;
  format: string;
  clientIp: string | null;
  trackPosition: number | null;
}

/** Owned by artist-api: every download of these grants, with the client IP it recorded. */
export async function downloadsOfGrants(db: Queryable, grantIds: readonly string[]): Promise<ExportedDownload[]> {
  if (grantIds.length === 0) return [];
  const { rows } = await db.query<ExportedDownload & Record<string, unknown>>(
    `SELECT grant_id::text AS "grantId", at, format::text AS format, client_ip AS "clientIp",
            track_position AS "trackPosition"
     FROM download WHERE grant_id = ANY($1::uuid[]) ORDER BY at, id`,
    [grantIds],
  );
  return rows;
}

export interface ExportedGeoCapture {
  checkoutToken: string;
  capturedAt: Date;
  clientIp: string | null;
  chain: string[];
  precision: string;
  country: string | null;
  region: string | null;
  city: string | null;
  postal: string | null;
  latitude: number | null;
  longitude: number | null;
  accuracyRadiusKm: number | null;
}

/** Owned by geo-reporting: the geo beacon's captures of these checkouts (it is keyed by checkout, not order). */
export async function geoCapturesOfCheckouts(
  db: Queryable,
  shopDomain: string,
  checkoutTokens: readonly string[],
): Promise<ExportedGeoCapture[]> {
  if (checkoutTokens.length === 0) return [];
  const { rows } = await db.query<ExportedGeoCapture & Record<string, unknown>>(
    `SELECT checkout_token AS "checkoutToken", captured_at AS "capturedAt", client_ip AS "clientIp", chain,
            precision::text AS precision, country, region, city, postal, latitude, longitude,
            accuracy_radius_km AS "accuracyRadiusKm"
     FROM geo_capture WHERE shop_domain = $1 AND checkout_token = ANY($2::text[]) ORDER BY captured_at, id`,
    [shopDomain, checkoutTokens],
  );
  return rows;
}
