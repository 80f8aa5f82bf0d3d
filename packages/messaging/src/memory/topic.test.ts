import { describe, expect, it } from 'vitest';
import { topicMatches } from './topic.ts';

describe('topicMatches', () => {
  it.each([
    ['shopify.orders.paid', 'shopify.orders.paid', true],
    ['shopify.orders.*', 'shopify.orders.paid', true],
    ['shopify.*', 'shopify.orders.paid', false],
    ['shopify.#', 'shopify.orders.paid', true],
    ['shopify.#', 'shopify', true],
    ['#', 'anything.at.all', true],
    ['*.orders.#', 'shopify.orders', true],
    ['#.paid', 'shopify.orders.paid', true],
    ['#.paid', 'shopify.orders.refunded', false],
    ['shopify.orders.paid', 'shopify.orders', false],
  ])('%s ~ %s -> %s', (pattern, key, expected) => {
    expect(topicMatches(pattern, key)).toBe(expected);
  });
});
