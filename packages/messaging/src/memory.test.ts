import { describe, expect, it } from 'vitest';
import { createMemoryMessaging, MemoryBroker } from './memory.ts';
import type { Topology } from './topology.ts';

const topology: Topology = {
  exchanges: [{ name: 'single.events', type: 'topic' }],
  queues: [
    {
      name: 'demo.orders.paid',
      bindings: [{ exchange: 'single.events', routingKey: 'shopify.orders.#' }],
      deadLetterQueue: 'demo.dlq',
      deliveryLimit: 3,
    },
    { name: 'demo.dlq' },
  ],
};

// Polls until the condition holds, by the clock rather than by a count of 5 ms sleeps (a loaded CI machine
// stretches every timer), and says which wait gave up.
const waitFor = async (condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

describe('in-memory messaging', () => {
  it('dead-letters a message whose consumers keep dying before acking (delivery limit)', async () => {
    const broker = new MemoryBroker();
    const client = createMemoryMessaging({
      topology,
      broker,
      connectionName: 'worker',
      reconnect: { initialDelayMs: 5 },
      closeTimeoutMs: 10,
    });
    await client.waitUntilConnected(1000);
    let deliveries = 0;
    // The handler never settles, as if the process crashed mid-way; the connection then dies each time.
    await client.consume('demo.orders.paid', () => {
      deliveries++;
      return new Promise<void>(() => {});
    });
    await client.publish('single.events', 'shopify.orders.paid', Buffer.from('poison'), { messageId: 'poison' });
    // Each round's delivery can only come after the reconnect that followed the previous kill: no wait on a
    // transient state (disconnected) that a 5 ms reconnect may already have left.
    for (let round = 1; round <= 3; round++) {
      await waitFor(() => deliveries === round, `delivery ${round}`);
      expect(broker.killConnection('worker')).toBe(1);
    }
    await waitFor(async () => (await client.inspectQueue('demo.dlq')).messageCount === 1, 'the dead letter');
    await waitFor(() => client.health().connected && client.health().consumers.active === 1, 'the consumer back');
    const [letter] = await client.listDeadLetters('demo.dlq', 5);
    expect(deliveries).toBe(3);
    expect(letter).toMatchObject({
      messageId: 'poison',
      reason: 'delivery_limit',
      originalQueue: 'demo.orders.paid',
      originalRoutingKey: 'shopify.orders.paid',
      originalExchange: 'single.events',
    });
    // redrive knows where to send it even though no handler recorded an error
    expect(await client.redrive('demo.dlq', { limit: 5 })).toEqual({ redriven: 1, skipped: 0 });
    await waitFor(() => deliveries === 4, 'the redriven delivery');
    expect(deliveries).toBe(4);
    await client.close();
  }, 30_000);

  it('reports a killed connection as down, then reconnects and re-attaches its consumer', async () => {
    const broker = new MemoryBroker();
    // A reconnect delay long enough that the down state cannot be missed between two polls.
    const client = createMemoryMessaging({
      topology,
      broker,
      connectionName: 'worker',
      reconnect: { initialDelayMs: 300 },
    });
    await client.waitUntilConnected(1000);
    await client.consume('demo.orders.paid', async () => {});
    await waitFor(() => client.health().consumers.active === 1, 'the consumer');
    expect(broker.killConnection('worker')).toBe(1);
    await waitFor(() => !client.health().connected, 'the connection reported down');
    expect(client.health().consumers).toEqual({ registered: 1, active: 0 });
    await waitFor(() => client.health().connected && client.health().consumers.active === 1, 'the consumer back');
    await client.close();
  }, 30_000);

  it('refuses to redeclare a queue with different arguments, like RabbitMQ', async () => {
    const broker = new MemoryBroker();
    const first = createMemoryMessaging({ topology, broker });
    await first.waitUntilConnected(1000);
    const changed: Topology = {
      ...topology,
      queues: [{ ...topology.queues[0]!, deliveryLimit: 5 }, topology.queues[1]!],
    };
    const second = createMemoryMessaging({
      topology: changed,
      broker,
      reconnect: { initialDelayMs: 5, maxDelayMs: 10 },
    });
    await expect(second.waitUntilConnected(100)).rejects.toThrow('not connected');
    await Promise.all([first.close(), second.close()]);
  });
});
