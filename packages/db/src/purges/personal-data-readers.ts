// What a customers/data_request export reads from tables the fulfillment worker does not own, exported here
// beside each owner's purge (GUIDE: privacy) so that the export reaches every copy the purges erase: artist-api's
// download log (client IPs), geo-reporting's checkout captures, located sales and chart lines, and the
// dispatcher's raw payloads. Read-only.

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

export interface ExportedLocatedSale {
  orderId: string;
  occurredAt: Date;
  source: string;
  precision: string;
  country: string | null;
  region: string | null;
  city: string | null;
  postal: string | null;
}

/** Owned by geo-reporting: where each sale of these Shopify orders was located (postal code, city, region). */
export async function locatedSalesOfOrders(
  db: Queryable,
  shopDomain: string,
  orderIds: readonly string[],
): Promise<ExportedLocatedSale[]> {
  if (orderIds.length === 0) return [];
  const { rows } = await db.query<ExportedLocatedSale & Record<string, unknown>>(
    `SELECT order_id AS "orderId", occurred_at AS "occurredAt", source::text AS source, precision::text AS precision,
            country, region, city, postal
     FROM located_sale WHERE shop_domain = $1 AND order_id = ANY($2::text[]) ORDER BY occurred_at, id`,
    [shopDomain, orderIds],
  );
  return rows;
}

export interface ExportedSaleLine {
  orderId: string;
  chart: string;
  kind: string;
  businessDate: string | null;
  zip: string | null;
  country: string | null;
}

/** Owned by geo-reporting: the chart lines of these Shopify orders, with the ZIP each reports. */
export async function saleLinesOfOrders(
  db: Queryable,
  shopDomain: string,
  orderIds: readonly string[],
): Promise<ExportedSaleLine[]> {
  if (orderIds.length === 0) return [];
  const { rows } = await db.query<ExportedSaleLine & Record<string, unknown>>(
    `SELECT order_id AS "orderId", chart, kind::text AS kind, to_char(business_date, 'YYYY-MM-DD') AS "businessDate",
            zip, country
     FROM sale_line WHERE shop_domain = $1 AND order_id = ANY($2::text[]) ORDER BY occurred_at, id`,
    [shopDomain, orderIds],
  );
  return rows;
}

export interface ExportedWebhookDelivery {
  orderId: string | null;
  topic: string;
  receivedAt: Date;
  /** the body as Shopify sent it (text: kept for replay until it expires) */
  payload: string;
}

/**
 * Owned by webhook-dispatcher: the raw payloads still held (until they expire) of the deliveries about these
 * Shopify orders or naming the customer, matched on the ids taken at intake (no payload is parsed).
 */
export async function webhookPayloadsOf(
  db: Queryable,
  shopDomain: string,
  orderIds: readonly string[],
  customerId: string | null,
): Promise<ExportedWebhookDelivery[]> {
  const { rows } = await db.query<ExportedWebhookDelivery & Record<string, unknown>>(
    `SELECT shopify_order_id AS "orderId", topic, received_at AS "receivedAt", payload
     FROM webhook_delivery WHERE shop_domain = $1 AND payload IS NOT NULL
       AND (shopify_order_id = ANY($2::text[]) OR ($3::text IS NOT NULL AND shopify_customer_id = $3))
     ORDER BY received_at, id`,
    [shopDomain, orderIds, customerId],
  );
  return rows;
}
