import { createHmac, randomUUID } from 'node:crypto';

// Shopify's side of the storm: order payloads with the fields the platform reads, signed exactly as
// Shopify signs them (HMAC-SHA256 of the raw body with the app's client secret, base64).

export const API_VERSION = '2026-10';

export interface DemoLine {
  lineId: number;
  productId: number;
  variantId: number;
  sku: string;
  title: string;
  price: string;
}

export interface DemoOrder {
  id: number;
  name: string;
  email: string;
  customerId: number;
  browserIp: string;
  checkoutToken: string;
  /** Without Shopify's protected-data approval the address is redacted: then the geo capture locates the sale. */
  billing: { zip: string; country: string; province: string } | null;
  lines: (DemoLine & { quantity: number })[];
  createdAt: string;
}

export function orderPayload(order: DemoOrder, financialStatus: string, updatedAt: string) {
  return {
    id: order.id,
    admin_graphql_api_id: `gid://shopify/Order/${order.id}`,
    name: order.name,
    created_at: order.createdAt,
    updated_at: updatedAt,
    cancelled_at: null,
    test: false,
    financial_status: financialStatus,
    currency: 'USD',
    email: order.email,
    customer: { id: order.customerId, email: order.email },
    browser_ip: order.browserIp,
    client_details: { browser_ip: order.browserIp, accept_language: 'en', user_agent: 'Mozilla/5.0 (demo)' },
    checkout_token: order.checkoutToken,
    billing_address: order.billing
      ? { zip: order.billing.zip, province_code: order.billing.province, country_code: order.billing.country }
      : null,
    shipping_address: null,
    line_items: order.lines.map((line) => ({
      id: line.lineId,
      admin_graphql_api_id: `gid://shopify/LineItem/${line.lineId}`,
      product_id: line.productId,
      variant_id: line.variantId,
      sku: line.sku,
      title: line.title,
      quantity: line.quantity,
      price: line.price,
      requires_shipping: false,
    })),
  };
}

export function refundPayload(order: DemoOrder, refundId: number, lineId: number, quantity: number) {
  return {
    id: refundId,
    order_id: order.id,
    created_at: new Date().toISOString(),
    refund_line_items: [{ line_item_id: lineId, quantity }],
  };
}

export function dataRequestPayload(shopDomain: string, shopId: number, order: DemoOrder) {
  return {
    shop_id: shopId,
    shop_domain: shopDomain,
    orders_requested: [order.id],
    customer: { id: order.customerId, email: order.email },
    data_request: { id: 9_100_001 },
  };
}

export interface SignedWebhook {
  topic: string;
  body: string;
  headers: Record<string, string>;
}

export function signedWebhook(
  secret: string,
  shopDomain: string,
  topic: string,
  payload: unknown,
  ids: { webhookId?: string; eventId?: string } = {},
): SignedWebhook {
  const body = JSON.stringify(payload);
  return {
    topic,
    body,
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': topic,
      'x-shopify-shop-domain': shopDomain,
      'x-shopify-webhook-id': ids.webhookId ?? randomUUID(),
      'x-shopify-event-id': ids.eventId ?? randomUUID(),
      'x-shopify-triggered-at': new Date().toISOString(),
      'x-shopify-api-version': API_VERSION,
      'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body, 'utf8').digest('base64'),
    },
  };
}
