import { z } from 'zod';
import { isIsoCurrency, MONEY_PATTERN } from './unit-price.ts';

/** Kafka topic of the sales stream; key = order id. */
export const SALES_TOPIC = 'sales.v1';

/** A unit's amount: non-negative, bounded, at most 4 decimals (see MONEY_PATTERN). */
const money = z.string().regex(MONEY_PATTERN, 'a non-negative decimal amount (at most 9 digits, 4 decimals)');

export const salesEventV1 = z.object({
  version: z.literal(1),
  eventId: z.uuid(),
  type: z.enum(['sale.recorded', 'sale.redeemed', 'sale.reversed']),
  occurredAt: z.iso.datetime({ offset: true }),
  shopDomain: z.string().min(1),
  orderId: z.string().min(1),
  orderLineId: z.string().min(1),
  releaseId: z.string().min(1),
  /**
   * Which unit of the line (0-based) the event is about; producers emit one event per unit (quantity 1), so
   * consumers key their sale lines on (orderLineId, unitIndex). Optional: events without it stay valid.
   */
  unitIndex: z.number().int().min(0).optional(),
  upc: z
    .string()
    .regex(/^\d{13}$/)
    .optional(),
  isrc: z
    .string()
    .regex(/^[A-Z]{2}[A-Z0-9]{3}\d{7}$/)
    .optional(),
  quantity: z.number().int().positive(),
  /** What the fan paid for the unit: list price less its share of the line's discounts, without tax. */
  unitPriceNet: money,
  /**
   * Beside the net, so that a chart rule can choose (optional: events without them stay valid): the list
   * price, the unit's share of the line's discounts, and its share of the line's taxes (contained in the
   * list price when the shop's prices include tax, else added on top). Same currency and digits as the net.
   */
  unitPriceGross: money.optional(),
  unitDiscount: money.optional(),
  unitTax: money.optional(),
  /**
   * The line ships physical goods (Shopify `requires_shipping`) alongside the music: a merch bundle, which
   * counts for charts only when its mapping is an approved fan pack (`fanPack`). Absent = false.
   */
  merchBundle: z.boolean().optional(),
  fanPack: z.boolean().optional(),
  currency: z.string().refine(isIsoCurrency, 'an ISO 4217 currency code'),
  fan: z.object({
    emailHash: z.string().optional(),
    billingZip: z.string().optional(),
    billingCountry: z.string().length(2).optional(),
    shippingZip: z.string().optional(),
    shippingCountry: z.string().length(2).optional(),
    browserIp: z.string().optional(),
    checkoutToken: z.string().optional(),
  }),
});
export type SalesEventV1 = z.infer<typeof salesEventV1>;
