import { createHmac, randomUUID } from 'node:crypto';

/**
 * The headers Shopify sends with a webhook: fresh webhook and event ids, API version 2026-10, and the
 * signature as Shopify computes it (base64 HMAC-SHA256 of the raw body with the app's client secret).
 */
export function shopifyWebhookHeaders(
  topic: string,
  body: Buffer | string,
  options: { shopDomain: string; secret: string },
) {
  return {
    'content-type': 'application/json',
    'x-shopify-topic': topic,
    'x-shopify-shop-domain': options.shopDomain,
    'x-shopify-webhook-id': randomUUID(),
    'x-shopify-event-id': randomUUID(),
    'x-shopify-triggered-at': new Date().toISOString(),
    'x-shopify-api-version': '2026-10',
    'x-shopify-hmac-sha256': createHmac('sha256', options.secret).update(body).digest('base64'),
  };
}
