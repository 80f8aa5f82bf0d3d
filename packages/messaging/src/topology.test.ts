import { describe, expect, it } from 'vitest';
import { TopologyError } from './errors.ts';
import { delayQueueName, formatDelay, planTopology, type Topology } from './topology.ts';

const topology: Topology = {
  exchanges: [{ name: 'single.events', type: 'topic' }],
  queues: [
    {
      name: 'fulfillment.orders.paid',
      bindings: [{ exchange: 'single.events', routingKey: 'shopify.orders.paid' }],
      retryPolicy: 'transient',
      deadLetterQueue: 'fulfillment.dlq',
    },
    { name: 'fulfillment.dlq' },
  ],
  retryPolicies: { transient: { delaysMs: [5000, 30_000, 300_000, 1_800_000] } },
};

describe('planTopology', () => {
  it('declares quorum work queues that dead-letter to their DLQ after the delivery limit', () => {
    const plan = planTopology(topology);
    expect(plan.queues.find((q) => q.name === 'fulfillment.orders.paid')?.arguments).toEqual({
      'x-queue-type': 'quorum',
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'fulfillment.dlq',
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
      'x-delivery-limit': 20,
    });
    expect(plan.queues.find((q) => q.name === 'fulfillment.dlq')?.arguments).toEqual({ 'x-queue-type': 'quorum' });
    expect(plan.bindings).toEqual([
      { queue: 'fulfillment.orders.paid', exchange: 'single.events', routingKey: 'shopify.orders.paid' },
    ]);
  });

  it('derives one delay queue per ladder step whose expired messages go back to the work queue', () => {
    const delayQueues = planTopology(topology).queues.filter((q) => q.name.includes('.retry.'));
    expect(delayQueues.map((q) => q.name)).toEqual([
      'fulfillment.orders.paid.retry.5s',
      'fulfillment.orders.paid.retry.30s',
      'fulfillment.orders.paid.retry.5m',
      'fulfillment.orders.paid.retry.30m',
    ]);
    expect(delayQueues[1]?.arguments).toMatchObject({
      'x-queue-type': 'quorum',
      'x-message-ttl': 30_000,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'fulfillment.orders.paid',
    });
  });

  it('names delays readably and keeps sub-second delays exact', () => {
    expect([250, 1000, 90_000, 60_000, 7_200_000].map(formatDelay)).toEqual(['250ms', '1s', '90s', '1m', '2h']);
    expect(delayQueueName('a.b.c', 50)).toBe('a.b.c.retry.50ms');
  });

  it('lists every inconsistency at once', () => {
    const broken: Topology = {
      exchanges: [{ name: 'single.events', type: 'topic' }],
      queues: [
        { name: 'a.orders.paid', bindings: [{ exchange: 'missing', routingKey: 'x' }], deadLetterQueue: 'a.dlq' },
        { name: 'b.orders.paid', retryPolicy: 'transient' },
        { name: 'c.orders.paid', retryPolicy: 'nope', deadLetterQueue: 'b.orders.paid' },
      ],
      retryPolicies: { transient: { delaysMs: [0] } },
    };
    expect(() => planTopology(broken)).toThrow(TopologyError);
    try {
      planTopology(broken);
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain('dead-letter queue "a.dlq" which is not declared');
      expect(message).toContain('undeclared exchange "missing"');
      expect(message).toContain('"b.orders.paid" has a retry policy but no dead-letter queue');
      expect(message).toContain('invalid delay 0');
      expect(message).toContain('unknown retry policy "nope"');
    }
  });
});
