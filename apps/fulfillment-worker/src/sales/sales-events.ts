import { SALES_TOPIC, type SalesUnitEvent } from '@single/contracts';
import type { Sql } from '../support/db.ts';

// The event itself is built by the shared builder (the artist API builds `sale.redeemed` with it too);
// the worker's names for it stay, so its callers keep importing from here.
export {
  buildSalesEvent,
  type SalesUnitEvent as SalesEvent,
  type SalesUnitFacts as UnitFacts,
} from '@single/contracts';

/** Appends to the Kafka outbox inside the caller's transaction and wakes the relay on commit. */
export async function appendSalesEvents(client: Sql, events: readonly SalesUnitEvent[]): Promise<void> {
  if (events.length === 0) return;
  // One JSON array parameter: serialised once, no per-element array escaping; the NOTIFY rides along.
  await client.query(
    `WITH added AS (
       INSERT INTO sales_outbox (event_id, topic, key, payload)
       SELECT (e->>'eventId')::uuid, $2, e->>'orderId', e FROM jsonb_array_elements($1::jsonb) AS e
       RETURNING 1)
     SELECT pg_notify('sales_outbox', '') FROM (SELECT count(*) FROM added) AS n`,
    [JSON.stringify(events), SALES_TOPIC],
  );
}

/** SQL columns that produce UnitFacts from `download_grant g`, `order_line ol`, `orders o`, `release r`. */
export const UNIT_FACTS_COLUMNS = `
  o.shop_domain AS "shopDomain", o.shopify_order_id::text AS "shopifyOrderId", ol.shopify_line_id::text AS "shopifyLineId",
  g.unit_index AS "unitIndex", g.release_id AS "releaseId", r.upc, ol.price::text AS "unitPrice", o.currency,
  o.email, o.billing_zip AS "billingZip", o.billing_country AS "billingCountry", o.shipping_zip AS "shippingZip",
  o.shipping_country AS "shippingCountry", o.browser_ip AS "browserIp", o.checkout_token AS "checkoutToken"`;
