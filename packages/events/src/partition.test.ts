import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { partitionForKey } from './partition.ts';

describe('partitionForKey', () => {
  it('puts every key on the same partition as kafkajs (and so Kafka) does', () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    for (const partitions of [1, 3, 7, 12]) {
      const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
        partitionId,
        leader: 1,
        partitionErrorCode: 0,
        replicas: [1],
        isr: [1],
      }));
      for (const key of ['', 'a', 'ab', 'abc', 'abcd', 'shop-1/order-42', 'ünïcødé', 'x'.repeat(101)]) {
        const expected = kafkajs({ topic: 't', partitionMetadata, message: { key, value: null } });
        expect(partitionForKey(key, partitions), `${key} over ${partitions}`).toBe(expected);
      }
    }
  });

  it('spreads keys over the partitions', () => {
    const seen = new Set(Array.from({ length: 200 }, (_, i) => partitionForKey(`order-${i}`, 6)));
    expect(seen).toEqual(new Set([0, 1, 2, 3, 4, 5]));
  });
});
