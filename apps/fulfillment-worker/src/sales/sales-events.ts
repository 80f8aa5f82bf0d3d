import { createHash, randomUUID } from 'node:crypto';
import { SALES_TOPIC, type SalesEventV1 } from '@single/contracts';
import type { Sql } from '../support/db.ts';

/** The facts of one granted unit that a sales event carries (read in the transaction that changes it). */
export interface UnitFacts {
  shopDomain: string;
  shopifyOrderId: string;
  shopifyLineId: string;
  unitIndex: number;
  releaseId: string;
  upc: string | null;
  unitPrice: string;
  currency: string;
  email: string | null;
  billingZip: string | null;
  billingCountry: string | null;
  shippingZip: string | null;
  shippingCountry: string | null;
  browserIp: string | null;
  checkoutToken: string | null;
}

export type SalesEventType = SalesEventV1['type'];

/** The worker emits one event per unit (quantity 1) and always names the unit (optional in the contract). */
export type SalesEvent = SalesEventV1 & { unitIndex: number };

const optional = <K extends string>(key: K, value: string | null | undefined) =>
  value ? ({ [key]: value } as Record<K, string>) : {};

export function buildSalesEvent(type: SalesEventType, unit: UnitFacts, occurredAt: Date): SalesEvent {
  return {
    version: 1,
    eventId: randomUUID(),
    type,
    occurredAt: occurredAt.toISOString(),
    shopDomain: unit.shopDomain,
    orderId: unit.shopifyOrderId,
    orderLineId: unit.shopifyLineId,
    unitIndex: unit.unitIndex,
    releaseId: unit.releaseId,
    ...(unit.upc && /^\d{13}$/.test(unit.upc) ? { upc: unit.upc } : {}),
    quantity: 1,
    unitPriceNet: unit.unitPrice,
    currency: unit.currency,
    fan: {
      ...optional('emailHash', unit.email ? hashEmail(unit.email) : null),
      ...optional('billingZip', unit.billingZip),
      ...optional('billingCountry', unit.billingCountry),
      ...optional('shippingZip', unit.shippingZip),
      ...optional('shippingCountry', unit.shippingCountry),
      ...optional('browserIp', unit.browserIp),
      ...optional('checkoutToken', unit.checkoutToken),
    },
  };
}

/** The fan key across stores without the address itself: sha256 of the trimmed, lower-cased email. */
export function hashEmail(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
}

/** Appends to the Kafka outbox inside the caller's transaction and wakes the relay on commit. */
export async function appendSalesEvents(client: Sql, events: readonly SalesEvent[]): Promise<void> {
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
