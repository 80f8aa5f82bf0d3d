import { randomUUID } from 'node:crypto';
import type { SalesEventV1 } from './sales-event.ts';
import { inCurrency, type UnitAmounts, unitAmounts } from './unit-price.ts';

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
  /** The album's UPC; null for a track sale (the line maps to one track: `isrc`). */
  upc: string | null;
  isrc: string | null;
  /** The line's list price per unit (Shopify's `price`). */
  unitPrice: string;
  /** The line as ordered: its quantity and its discount and tax totals, spread over the units by unitIndex. */
  lineQuantity: number;
  lineDiscount: string;
  lineTax: string;
  taxesIncluded: boolean;
  currency: string;
  /**
   * The unit's amounts as recorded when it was granted (download_grant.unit_*): when present, every event of the
   * unit carries these, whatever the line says now (an order edit must not reprice a sale already reported).
   * Null for grants made before they were kept: the share is then computed from the line as above.
   */
  recordedGross?: string | null;
  recordedDiscount?: string | null;
  recordedTax?: string | null;
  recordedNet?: string | null;
  /** The line ships physical goods alongside the music, and whether its mapping is an approved fan pack. */
  merchBundle: boolean;
  fanPack: boolean;
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

/**
 * One sales.v1 event for one unit; Shopify ids as order and line ids, a malformed UPC or ISRC and missing fan
 * facts left out. The unit's net, gross, discount and tax come from the line's amounts and the unit index.
 */
export function buildSalesEvent(type: SalesEventType, unit: SalesUnitFacts, occurredAt: Date): SalesUnitEvent {
  const amounts =
    recordedAmounts(unit) ??
    unitAmounts(
      {
        price: unit.unitPrice,
        quantity: unit.lineQuantity,
        discount: unit.lineDiscount,
        tax: unit.lineTax,
        taxesIncluded: unit.taxesIncluded,
        currency: unit.currency,
      },
      unit.unitIndex,
    );
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
    ...(unit.isrc && /^[A-Z]{2}[A-Z0-9]{3}\d{7}$/.test(unit.isrc) ? { isrc: unit.isrc } : {}),
    quantity: 1,
    unitPriceNet: amounts.net,
    unitPriceGross: amounts.gross,
    unitDiscount: amounts.discount,
    unitTax: amounts.tax,
    currency: unit.currency,
    ...(unit.merchBundle ? { merchBundle: true, fanPack: unit.fanPack } : {}),
    // No email hash here: the worker's sales relay adds the keyed one (fan-seal.ts) from the order as it seals
    // the facts into version 2, so no unkeyed hash of the address is ever written.
    fan: {
      ...optional('billingZip', unit.billingZip),
      ...optional('billingCountry', unit.billingCountry),
      ...optional('shippingZip', unit.shippingZip),
      ...optional('shippingCountry', unit.shippingCountry),
      ...optional('browserIp', unit.browserIp),
      ...optional('checkoutToken', unit.checkoutToken),
    },
  };
}

/** The unit's recorded amounts in the currency's digits, or null when the grant predates them. */
function recordedAmounts(unit: SalesUnitFacts): UnitAmounts | null {
  const { recordedGross: gross, recordedDiscount: discount, recordedTax: tax, recordedNet: net } = unit;
  if (gross == null || discount == null || tax == null || net == null) return null;
  const at = (amount: string) => inCurrency(amount, unit.currency);
  return { gross: at(gross), discount: at(discount), tax: at(tax), net: at(net) };
}
