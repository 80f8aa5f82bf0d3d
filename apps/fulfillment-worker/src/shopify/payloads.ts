import { isExactIn, isIsoCurrency, MONEY_PATTERN, sumAmounts } from '@single/contracts';
import { z } from 'zod';
import { isoCountryOrNull } from '../sales/country-code.ts';

// The slices of Shopify's webhook payloads the worker relies on. Everything else is ignored (zod strips
// it), so an extra field never breaks intake while a missing or malformed required one sends the message
// to the dead-letter queue. Email and address fields are nullable: without Shopify's protected customer
// data approval they arrive redacted.

/** Shopify ids are 64-bit: accept numbers and numeric strings, keep them as decimal strings. */
const shopifyId = z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,20}$/)]).transform(String);
/**
 * Money: a non-negative decimal, at most 9 digits before the point and 4 after (MONEY_PATTERN), as a string or
 * a JSON number written plainly (1e-7 prints as "1e-7" and is refused). A negative price or discount, or an
 * amount that would overflow the arithmetic, is refused here as invalid (the message goes to the dead-letter
 * queue with the reason) instead of failing inside the handler.
 */
const money = z
  .union([z.string(), z.number()])
  .transform(String)
  .pipe(z.string().regex(MONEY_PATTERN, 'a non-negative decimal amount (at most 9 digits and 4 decimals)'));
const timestamp = z.iso.datetime({ offset: true });
/**
 * Units of one line, and of one refund line: at most 10,000 (a line is granted in one transaction, one grant per unit
 * and release, so 50,000 units would be 50,000 grants at once; quantity sums stay far from 32-bit overflow). 0 is a
 * line an order edit removed.
 */
export const MAX_LINE_QUANTITY = 10_000;
const quantity = z.number().int().min(0).max(MAX_LINE_QUANTITY);
/** Allocations and tax lines per line: their sum stays an exact integer of minor units. */
const MAX_LINE_AMOUNTS = 100;

const address = z
  .object({
    zip: z.string().nullish(),
    province_code: z.string().nullish(),
    // ISO 3166-1 alpha-2 or null: sales.v1 publishes the country in clear, so anything else ("USA", a ZIP
    // typed into the wrong field) never reaches the stream, and the order is still fulfilled.
    country_code: z
      .string()
      .nullish()
      .transform((code) => isoCountryOrNull(code)),
  })
  .nullish();

export const orderLineItem = z.object({
  id: shopifyId,
  product_id: shopifyId.nullish(),
  variant_id: shopifyId.nullish(),
  sku: z.string().nullish(),
  quantity,
  price: money,
  requires_shipping: z.boolean().default(false),
  /** The line's share of each discount, for the whole line (all its units). */
  discount_allocations: z
    .array(z.object({ amount: money }))
    .max(MAX_LINE_AMOUNTS)
    .default([]),
  /** The line's taxes, for the whole line: inside `price` when the order's `taxes_included`, else on top. */
  tax_lines: z
    .array(z.object({ price: money }))
    .max(MAX_LINE_AMOUNTS)
    .default([]),
});

export type OrderLineItem = z.infer<typeof orderLineItem>;

/** orders/create, orders/paid, orders/updated and orders/cancelled all carry the full order. */
export const orderSnapshot = z
  .object({
    id: shopifyId,
    admin_graphql_api_id: z.string().nullish(),
    name: z.string(),
    created_at: timestamp.nullish(),
    updated_at: timestamp,
    financial_status: z.string().nullish(),
    cancelled_at: timestamp.nullish(),
    test: z.boolean().default(false),
    currency: z.string().refine(isIsoCurrency, 'an ISO 4217 currency code'),
    /** The shop's prices include tax (VAT shops): the net of a unit is then also without its tax. */
    taxes_included: z.boolean().default(false),
    email: z.string().nullish(),
    contact_email: z.string().nullish(),
    customer: z.object({ id: shopifyId, email: z.string().nullish() }).nullish(),
    browser_ip: z.string().nullish(),
    client_details: z.object({ browser_ip: z.string().nullish() }).nullish(),
    checkout_token: z.string().nullish(),
    billing_address: address,
    shipping_address: address,
    line_items: z.array(orderLineItem),
  })
  // Every amount exact in the order's currency: a fraction of a minor unit cannot have been charged. A line's
  // discount and tax totals are bounded like an amount, so every unit's share (at most the total) fits a sales.v1
  // event: the producer can never build an event that geo-reporting would have to refuse.
  .superRefine((order, ctx) => {
    if (!isIsoCurrency(order.currency)) return;
    order.line_items.forEach((line, i) => {
      const amounts: [string, (string | number)[]][] = [
        ['price', [line.price]],
        ['discount_allocations', line.discount_allocations.map((a) => a.amount)],
        ['tax_lines', line.tax_lines.map((t) => t.price)],
      ];
      for (const [field, values] of amounts) {
        if (values.some((v) => !isExactIn(String(v), order.currency)))
          ctx.addIssue({
            code: 'custom',
            path: ['line_items', i, field],
            message: `more decimals than ${order.currency} has`,
          });
      }
      for (const [field, values] of amounts.slice(1)) {
        const texts = values.map(String);
        // A malformed amount has its own issue already.
        if (!texts.every((t) => MONEY_PATTERN.test(t))) continue;
        if (!MONEY_PATTERN.test(sumAmounts(texts, order.currency)))
          ctx.addIssue({
            code: 'custom',
            path: ['line_items', i, field],
            message: 'the line total is out of range (at most 9 digits before the point)',
          });
      }
    });
  });
export type OrderSnapshot = z.infer<typeof orderSnapshot>;

export const refundCreated = z.object({
  id: shopifyId,
  order_id: shopifyId,
  created_at: timestamp.nullish(),
  refund_line_items: z.array(
    z.object({
      line_item_id: shopifyId,
      quantity,
    }),
  ),
});
export type RefundCreated = z.infer<typeof refundCreated>;

export const appUninstalled = z.object({
  id: shopifyId.nullish(),
  myshopify_domain: z.string().nullish(),
});

export const customersRedact = z.object({
  shop_domain: z.string(),
  customer: z.object({ id: shopifyId, email: z.string().nullish() }),
  orders_to_redact: z.array(shopifyId).default([]),
});
export type CustomersRedact = z.infer<typeof customersRedact>;

export const customersDataRequest = z.object({
  shop_domain: z.string(),
  customer: z.object({ id: shopifyId, email: z.string().nullish() }),
  orders_requested: z.array(shopifyId).default([]),
  data_request: z.object({ id: shopifyId }).nullish(),
});
export type CustomersDataRequest = z.infer<typeof customersDataRequest>;

export const shopRedact = z.object({ shop_domain: z.string() });

/** Statuses that mean the money was taken: grants are due. `refunded`/`voided` never grant. */
export const PAID_STATUSES: ReadonlySet<string> = new Set(['paid', 'partially_refunded']);
