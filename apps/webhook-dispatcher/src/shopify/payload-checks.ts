import type { ShopifyTopic } from '@single/contracts';

// Shopify signs only the body: a captured body can be replayed with forged headers. Where the payload
// names the shop or has a topic-specific shape, the headers must agree with it.

type Payload = Record<string, unknown>;

const isId = (value: unknown) =>
  (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) ||
  (typeof value === 'string' && /^\d{1,20}$/.test(value));
const gid = (kind: string) => (value: unknown) =>
  typeof value === 'string' && value.startsWith(`gid://shopify/${kind}/`);

function isOrder(p: Payload): boolean {
  return (
    isId(p.id) &&
    Array.isArray(p.line_items) &&
    (p.admin_graphql_api_id === undefined || gid('Order')(p.admin_graphql_api_id))
  );
}

const SHAPES: Record<ShopifyTopic, (p: Payload) => boolean> = {
  'orders/create': isOrder,
  'orders/paid': isOrder,
  'orders/updated': isOrder,
  'orders/cancelled': (p) => isOrder(p) && typeof p.cancelled_at === 'string',
  'refunds/create': (p) => isId(p.id) && isId(p.order_id) && Array.isArray(p.refund_line_items),
  'app/uninstalled': (p) => isId(p.id) && typeof p.myshopify_domain === 'string',
  'customers/data_request': (p) =>
    isId(p.shop_id) && typeof p.customer === 'object' && p.customer !== null && typeof p.data_request === 'object',
  'customers/redact': (p) =>
    isId(p.shop_id) && typeof p.customer === 'object' && p.customer !== null && Array.isArray(p.orders_to_redact),
  'shop/redact': (p) => isId(p.shop_id) && typeof p.shop_domain === 'string' && !('customer' in p),
};

/** The shop the payload itself names, if any. */
function payloadShop(topic: ShopifyTopic, p: Payload): unknown {
  if (topic === 'app/uninstalled') return p.myshopify_domain;
  if ('shop_domain' in p) return p.shop_domain;
  return undefined;
}

export type PayloadMismatch = 'shop_mismatch' | 'topic_mismatch';

export function checkPayloadAgainstHeaders(
  topic: ShopifyTopic,
  shopDomain: string,
  payload: Payload,
): PayloadMismatch | null {
  if (!SHAPES[topic](payload)) return 'topic_mismatch';
  const named = payloadShop(topic, payload);
  if (named !== undefined && (typeof named !== 'string' || named.toLowerCase() !== shopDomain)) return 'shop_mismatch';
  return null;
}
