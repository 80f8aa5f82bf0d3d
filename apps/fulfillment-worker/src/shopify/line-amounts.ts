import { type LineAmounts, sumAmounts } from '@single/contracts';
import type { OrderLineItem, OrderSnapshot } from './payloads.ts';

/**
 * A Shopify line's amounts as the price arithmetic takes them: the list price per unit, and the line's
 * discount allocations and tax lines summed exactly in the order's currency (for the whole line).
 */
export function lineAmounts(
  order: Pick<OrderSnapshot, 'currency' | 'taxes_included'>,
  line: OrderLineItem,
): LineAmounts {
  return {
    price: line.price,
    quantity: line.quantity,
    discount: sumAmounts(
      line.discount_allocations.map((a) => a.amount),
      order.currency,
    ),
    tax: sumAmounts(
      line.tax_lines.map((t) => t.price),
      order.currency,
    ),
    taxesIncluded: order.taxes_included,
    currency: order.currency,
  };
}
