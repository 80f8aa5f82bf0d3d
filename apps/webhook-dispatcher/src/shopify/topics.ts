import { SHOPIFY_TOPICS, type ShopifyTopic } from '@single/contracts';

export type Lane = (typeof SHOPIFY_TOPICS)[ShopifyTopic];

export function laneOf(topic: ShopifyTopic): Lane {
  return SHOPIFY_TOPICS[topic];
}

/**
 * The topic's family, stored with the delivery for the record (order snapshots create / paid / updated
 * are one family). Not part of the body key: the topic is a header, so the same bytes under any topic are
 * one delivery (see dedupeKeys).
 */
export function dedupeFamily(topic: ShopifyTopic): string {
  return topic === 'orders/create' || topic === 'orders/paid' || topic === 'orders/updated' ? 'orders/snapshot' : topic;
}
