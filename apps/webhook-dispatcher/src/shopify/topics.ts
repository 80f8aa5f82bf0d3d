import { SHOPIFY_TOPICS, type ShopifyTopic } from '@single/contracts';

export type Lane = (typeof SHOPIFY_TOPICS)[ShopifyTopic];

export function laneOf(topic: ShopifyTopic): Lane {
  return SHOPIFY_TOPICS[topic];
}

/**
 * Order snapshots (create / paid / updated) carry the same information when their bodies are identical:
 * a captured snapshot replayed under another of these topics is the same delivery, not a new job.
 */
export function dedupeFamily(topic: ShopifyTopic): string {
  return topic === 'orders/create' || topic === 'orders/paid' || topic === 'orders/updated' ? 'orders/snapshot' : topic;
}
