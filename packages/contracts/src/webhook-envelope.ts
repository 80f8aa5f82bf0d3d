import { z } from 'zod';
import { MYSHOPIFY_DOMAIN } from './shop-domain.ts';

/** The body of every message the webhook dispatcher publishes on `single.events`. */
export const webhookEnvelopeV1 = z.object({
  version: z.literal(1),
  source: z.literal('shopify'),
  topic: z.string().min(1),
  shopDomain: z.string().regex(MYSHOPIFY_DOMAIN),
  webhookId: z.string().min(1),
  eventId: z.string().min(1).nullable(),
  triggeredAt: z.iso.datetime({ offset: true }).nullable(),
  receivedAt: z.iso.datetime({ offset: true }),
  apiVersion: z.string().min(1).nullable(),
  /** Set when an operator re-published a stored delivery (artist API or cmdr). */
  replay: z.object({ requestedBy: z.string(), at: z.iso.datetime({ offset: true }) }).optional(),
  payload: z.record(z.string(), z.unknown()),
});
export type WebhookEnvelopeV1 = z.infer<typeof webhookEnvelopeV1>;

export const EVENTS_EXCHANGE = 'single.events';

/** `orders/paid` -> `shopify.orders.paid` */
export function shopifyRoutingKey(topic: string): string {
  return `shopify.${topic.replaceAll('/', '.')}`;
}

/** Topics we subscribe to, and the lane each one travels in. */
export const SHOPIFY_TOPICS = {
  'orders/create': 'orders',
  'orders/paid': 'orders',
  'orders/updated': 'orders',
  'orders/cancelled': 'orders',
  'refunds/create': 'orders',
  'app/uninstalled': 'privacy',
  'customers/data_request': 'privacy',
  'customers/redact': 'privacy',
  'shop/redact': 'privacy',
} as const;
export type ShopifyTopic = keyof typeof SHOPIFY_TOPICS;

export function isShopifyTopic(topic: string): topic is ShopifyTopic {
  return Object.hasOwn(SHOPIFY_TOPICS, topic);
}
