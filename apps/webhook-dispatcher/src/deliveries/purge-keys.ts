import type { ShopifyTopic } from '@single/contracts';

/** What the privacy purges match a stored delivery on (stored beside the payload, see `webhook_delivery`). */
export interface PurgeKeys {
  /** The Shopify order the delivery is about: `id` of an order topic, `order_id` of a refund. */
  shopifyOrderId: string | null;
  /** The customer the payload names (`customer.id`): orders, customers/redact, customers/data_request. */
  shopifyCustomerId: string | null;
}

const ORDER_TOPICS: ReadonlySet<string> = new Set([
  'orders/create',
  'orders/paid',
  'orders/updated',
  'orders/cancelled',
]);

// Digits only, as text: the purges compare text, and an id PostgreSQL could not hold as bigint must still be
// stored (a failed cast would fail the whole claim batch).
function digits(value: unknown): string | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return String(value);
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return value;
  return null;
}

/**
 * Taken at intake from the payload the route has already parsed, so that no purge ever parses a stored
 * payload (jsonb refuses some bodies JavaScript and Shopify accept: an escaped NUL, a lone surrogate).
 */
export function purgeKeys(topic: ShopifyTopic, payload: Record<string, unknown>): PurgeKeys {
  const customer = payload.customer;
  return {
    shopifyOrderId: ORDER_TOPICS.has(topic)
      ? digits(payload.id)
      : topic === 'refunds/create'
        ? digits(payload.order_id)
        : null,
    shopifyCustomerId:
      typeof customer === 'object' && customer !== null ? digits((customer as Record<string, unknown>).id) : null,
  };
}
