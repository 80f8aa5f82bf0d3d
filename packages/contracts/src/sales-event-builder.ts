import { createHash, randomUUID } from 'node:crypto';
import type { SalesEventV1 } from './sales-event.ts';

/**
 * The facts of one granted unit that a sales event carries, read in the transaction that changes it. Both
 * producers of sales.v1 (the fulfillment worker's `sale.recorded` / `sale.reversed`, the artist API's
 * `sale.redeemed`) build their events from these, so that geo-reporting can pair them.
 */
export interface SalesUnitFacts {
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

/** Producers emit one event per unit (quantity 1) and always name the unit (optional in the contract). */
export type SalesUnitEvent = SalesEventV1 & { unitIndex: number };

const optional = <K extends string>(key: K, value: string | null | undefined) =>
  value ? ({ [key]: value } as Record<K, string>) : {};

/** One sales.v1 event for one unit; Shopify ids as order and line ids, a malformed UPC and missing fan facts left out. */
export function buildSalesEvent(type: SalesEventType, unit: SalesUnitFacts, occurredAt: Date): SalesUnitEvent {
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
