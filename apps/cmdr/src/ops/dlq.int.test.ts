import { createAmqpMessaging, type Messaging, PermanentError } from '@single/messaging';
import { createTestVhost, type TestVhost } from '@single/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../test-support/dispatcher.ts';
import { cmdr } from '../test-support/run.ts';

// A work queue whose consumer rejects everything as permanent: the messaging library dead-letters each
// message to fulfillment.dlq with its origin, exactly as the fulfillment worker does.
let vhost: TestVhost;
let messaging: Messaging;
let env: Record<string, string>;

const topology = {
  exchanges: [{ name: 'cmdr.test', type: 'topic' as const }],
  queues: [
    { name: 'fulfillment.dlq' },
    {
      name: 'fulfillment.orders.paid',
      bindings: [{ exchange: 'cmdr.test', routingKey: 'shopify.orders.paid' }],
      deadLetterQueue: 'fulfillment.dlq',
    },
  ],
};

beforeAll(async () => {
  vhost = await createTestVhost();
  env = { RABBITMQ_URL: vhost.url };
  messaging = createAmqpMessaging({ url: vhost.url, connectionName: 'cmdr-dlq-test', topology });
  await messaging.waitUntilConnected(10_000);
  const consumer = await messaging.consume('fulfillment.orders.paid', () => {
    throw new PermanentError('unknown product mapping');
  });
  for (let i = 0; i < 3; i++) {
    await messaging.publish('cmdr.test', 'shopify.orders.paid', Buffer.from(JSON.stringify({ n: i })), {
      messageId: `m-${i}`,
    });
  }
  await eventually(async () =>
    (await messaging.inspectQueue('fulfillment.dlq')).messageCount === 3 ? true : undefined,
  );
  await consumer.cancel(); // redriven messages then stay in the work queue, where the test counts them
});

afterAll(async () => {
  await messaging?.close();
  await vhost?.dispose();
});

describe('cmdr dlq', () => {
  it('lists dead letters with their origin and reason, without consuming them', async () => {
    const run = await cmdr(['--json', 'dlq', 'list'], env);
    expect(run.code).toBe(0);
    const result = run.json<{ queue: string; total: number; items: Record<string, unknown>[] }>();
    expect(result.queue).toBe('fulfillment.dlq');
    expect(result.total).toBe(3);
    expect(result.items.map((i) => i.messageId).sort()).toEqual(['m-0', 'm-1', 'm-2']);
    expect(result.items[0]).toMatchObject({ originalQueue: 'fulfillment.orders.paid', reason: 'permanent' });
    expect(result.items[0]).not.toHaveProperty('body');
    // peeked messages return to the queue when cmdr's channel closes
    await eventually(async () =>
      (await messaging.inspectQueue('fulfillment.dlq')).messageCount === 3 ? true : undefined,
    );
  });

  it('redrive empties the dead-letter queue back into the original queue', async () => {
    const run = await cmdr(['dlq', 'redrive'], env, { tty: true });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('redriven 3, skipped 0 (unknown origin), 0 left in fulfillment.dlq');
    expect(run.stderr).toMatch(/redrive \[#+\] 3\/3 100%/);
    expect((await messaging.inspectQueue('fulfillment.dlq')).messageCount).toBe(0);
    await eventually(async () =>
      (await messaging.inspectQueue('fulfillment.orders.paid')).messageCount === 3 ? true : undefined,
    );
  });

  it('exits 5 when RabbitMQ cannot be reached', async () => {
    const run = await cmdr(['dlq', 'list'], {
      RABBITMQ_URL: 'amqp://single:single@127.0.0.1:1',
      CMDR_CONNECT_TIMEOUT_MS: '500',
    });
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/RabbitMQ unavailable/);
  });
});
