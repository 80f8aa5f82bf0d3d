import { SALES_TOPIC, type SalesUnitEvent } from '@single/contracts';
import { Prisma } from '@single/db';
import { outboxTraceContext, type TraceHeaders } from '@single/tracing';
import { execute, type Runner } from '../support/db.ts';

// The event itself is built by the shared builder (the artist API builds `sale.redeemed` with it too);
// the worker's names for it stay, so its callers keep importing from here.
export {
  buildSalesEvent,
  type SalesUnitEvent as SalesEvent,
  type SalesUnitFacts as UnitFacts,
} from '@single/contracts';

/** Which trace each event continues: its order's message, in a batch of several orders' messages. */
export type TraceOf = (event: SalesUnitEvent) => TraceHeaders | null;

/**
 * Appends to the Kafka outbox inside the caller's transaction and wakes the relay on commit. Each row keeps
 * the trace context of the handler that wrote it (`traceOf`, by default the active span's), which the sales
 * relay publishes it under: the trace of a webhook goes on through Kafka to geo-reporting.
 */
export async function appendSalesEvents(
  client: Runner,
  events: readonly SalesUnitEvent[],
  traceOf: TraceOf = activeTrace(),
): Promise<void> {
  if (events.length === 0) return;
  // One JSON array parameter: serialised once, no per-element array escaping; the NOTIFY rides along. A row
  // without a trace leaves `t` out, so the column stays SQL NULL.
  const rows = events.map((e) => ({ e, t: traceOf(e) ?? undefined }));
  await execute(
    client,
    Prisma.sql`WITH added AS (
       INSERT INTO sales_outbox (event_id, topic, key, payload, trace_headers)
       SELECT (x->'e'->>'eventId')::uuid, ${SALES_TOPIC}, x->'e'->>'orderId', x->'e', x->'t'
       FROM jsonb_array_elements(${JSON.stringify(rows)}::jsonb) AS x
       RETURNING 1)
     SELECT pg_notify('sales_outbox', '') FROM (SELECT count(*) FROM added) AS n`,
  );
}

/** Every event continues the trace active now (one message's handler). */
export function activeTrace(): TraceOf {
  const trace = outboxTraceContext();
  return () => trace;
}

/**
 * SQL columns that produce UnitFacts from `download_grant g`, `order_line ol`, `orders o`, `release r`, and
 * `track t` (LEFT JOIN track t ON t.id = g.track_id): a track sale reports the track's ISRC and no UPC. The
 * unit's amounts, merch-bundle flag and fan-pack approval are the grant's, as recorded (g.unit_*); grants made
 * before those were kept compute the unit's share from the line, as their sale.recorded did.
 */
export const UNIT_FACTS_COLUMNS = `
  o.shop_domain AS "shopDomain", o.shopify_order_id::text AS "shopifyOrderId", ol.shopify_line_id::text AS "shopifyLineId",
  g.unit_index AS "unitIndex", g.release_id AS "releaseId", CASE WHEN t.isrc IS NULL THEN r.upc END AS upc, t.isrc,
  ol.price::text AS "unitPrice", ol.quantity AS "lineQuantity", ol.discount_total::text AS "lineDiscount",
  ol.tax_total::text AS "lineTax", o.taxes_included AS "taxesIncluded",
  g.unit_gross::text AS "recordedGross", g.unit_discount::text AS "recordedDiscount", g.unit_tax::text AS "recordedTax",
  g.unit_net::text AS "recordedNet", coalesce(g.merch_bundle, ol.requires_shipping) AS "merchBundle",
  coalesce(g.fan_pack, ol.fan_pack) AS "fanPack", o.currency,
  o.email, o.billing_zip AS "billingZip", o.billing_country AS "billingCountry", o.shipping_zip AS "shippingZip",
  o.shipping_country AS "shippingCountry", o.browser_ip AS "browserIp", o.checkout_token AS "checkoutToken"`;

/**
 * Only the grant its unit reports (download_grant.reported, fixed when the unit was recorded) has a sale in the
 * stream: the other releases of a bundle are granted and delivered but never reported, so they have nothing to
 * redeem or reverse. Never the line's current release: a mapping changed after the order must not move a sale.
 * A condition on `g`.
 */
export const REPORTED_UNIT = 'g.reported';
