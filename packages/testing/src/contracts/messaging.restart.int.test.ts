import { BrokerUnavailableError, createAmqpMessaging, type Topology } from '@single/messaging';
import { describe, expect, it } from 'vitest';
import { createTestVhost, restartRabbitMq } from '../rabbitmq.ts';
import { waitUntil } from './wait.ts';

// Restarts the shared RabbitMQ: runs in the `restart` project, alone, after the other integration tests.
describe('amqp messaging across a real RabbitMQ restart', () => {
  const topology: Topology = {
    exchanges: [{ name: 'single.events', type: 'topic' }],
    queues: [
      {
        name: 'restart.orders.paid',
        bindings: [{ exchange: 'single.events', routingKey: 'shopify.orders.paid' }],
        deadLetterQueue: 'restart.dlq',
      },
      { name: 'restart.dlq' },
    ],
  };

  it('resumes publishing by itself and loses no confirmed message', { timeout: 180_000 }, async () => {
    const vhost = await createTestVhost();
    const options = { url: vhost.url, topology, reconnect: { initialDelayMs: 100, maxDelayMs: 1000 } };
    const publisher = createAmqpMessaging({ ...options, connectionName: 'restart-publisher', maxInFlight: 200 });
    const reader = createAmqpMessaging({ ...options, connectionName: 'restart-reader' });
    try {
      await publisher.waitUntilConnected(10_000);
      const confirmed = new Set<string>();
      const failures = new Map<string, number>();
      let next = 0;
      let restart: { startedAt: number; endedAt?: number; durationMs?: number } | undefined;
      let firstConfirmAfterRestart: number | undefined;
      let confirmedAfterRestart = 0;

      // Each loop publishes the next message and retries only the publishes that were rejected.
      const loop = async () => {
        while (!restart?.endedAt || confirmedAfterRestart < 500) {
          const id = `m-${next++}`;
          for (;;) {
            try {
              await publisher.publish('single.events', 'shopify.orders.paid', Buffer.from(id), {
                messageId: id,
                timeoutMs: 2000,
              });
              confirmed.add(id);
              if (restart?.endedAt) {
                confirmedAfterRestart++;
                firstConfirmAfterRestart ??= Date.now();
              }
              break;
            } catch (err) {
              if (!(err instanceof BrokerUnavailableError)) throw err;
              failures.set(err.message, (failures.get(err.message) ?? 0) + 1);
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
          }
        }
      };
      const loops = Array.from({ length: 16 }, loop);

      const loopStart = Date.now();
      await waitUntil(() => confirmed.size >= 500, { timeoutMs: 30_000, message: '500 confirms before the restart' });
      const warmupMs = Date.now() - loopStart;
      restart = { startedAt: Date.now() };
      restart.durationMs = await restartRabbitMq();
      restart.endedAt = Date.now();
      await Promise.all(loops);

      const rejected = [...failures.values()].reduce((a, b) => a + b, 0);
      const received = new Set<string>();
      await reader.consume('restart.orders.paid', (m) => void received.add(m.messageId ?? ''), { prefetch: 200 });
      await waitUntil(() => [...confirmed].every((id) => received.has(id)), {
        timeoutMs: 60_000,
        message: 'every confirmed message consumed',
      });
      const lost = [...confirmed].filter((id) => !received.has(id));
      console.info(
        `[messaging restart] first 500 confirms in ${warmupMs} ms; rabbitmq restart ${restart.durationMs} ms; publishing resumed ` +
          `${(firstConfirmAfterRestart ?? 0) - restart.endedAt} ms after the script returned; ` +
          `${confirmed.size} confirmed, ${rejected} rejections retried (${[...failures.keys()].join(' | ')}), ` +
          `${received.size} distinct consumed, ${lost.length} lost`,
      );
      expect(rejected).toBeGreaterThan(0);
      expect(confirmedAfterRestart).toBeGreaterThanOrEqual(500);
      expect(lost).toEqual([]);
      expect(publisher.health().connected).toBe(true);
    } finally {
      await Promise.all([publisher.close(), reader.close()]);
      await vhost.dispose();
    }
  });
});
