import { createKafkaEventBus, EventsUnavailableError, type IncomingEvent } from '@single/events';
import { afterAll, expect, it } from 'vitest';
import { createKafkaTestContext, kafkaServer } from '../kafka.ts';
import { waitUntil } from './wait.ts';

// Stops and starts the shared Kafka: runs alone (vitest project "restart"), after every other test.
const kafka = createKafkaTestContext();
const bus = createKafkaEventBus({ brokers: kafka.brokers, clientId: 'events-restart-test' });

afterAll(async () => {
  await kafkaServer('start');
  await bus.close();
  await kafka.cleanup();
});

it('publishes again and the consumer group carries on after the broker restarts', async () => {
  const topic = kafka.topic();
  await bus.ensureTopics([topic], 1);
  const seen: IncomingEvent[] = [];
  await bus.subscribe({
    topics: [topic],
    groupId: kafka.groupId(),
    fromBeginning: true,
    handler: async (event) => {
      seen.push(event);
    },
  });
  await bus.publish(topic, [{ key: 'k', value: 'before' }]);
  await waitUntil(() => seen.length === 1, { message: 'the message published before the restart' });
  // Let the offset commit that follows the handler reach the broker before it goes away.
  await new Promise((resolve) => setTimeout(resolve, 1_000));

  await kafkaServer('stop');
  const started = performance.now();
  await expect(bus.publish(topic, [{ key: 'k', value: 'during' }])).rejects.toBeInstanceOf(EventsUnavailableError);
  expect(performance.now() - started).toBeLessThan(3_000);
  expect(await bus.health()).toBe(false);

  await kafkaServer('start');
  // The same bus, without being rebuilt: publishing succeeds again once the broker answers.
  await waitUntil(
    async () => {
      try {
        await bus.publish(topic, [{ key: 'k', value: 'after' }]);
        return true;
      } catch (error) {
        if (!(error instanceof EventsUnavailableError)) throw error;
        return false;
      }
    },
    { timeoutMs: 60_000, intervalMs: 500, message: 'a publish to succeed after the restart' },
  );
  expect(await bus.health()).toBe(true);
  // The same subscription resumes from its committed offset: the new message arrives, the old one does not come back.
  await waitUntil(() => seen.some((e) => e.value.toString() === 'after'), {
    timeoutMs: 60_000,
    message: 'the consumer to receive the message published after the restart',
  });
  // A publish that timed out while the broker came back may still have landed, so 'after' can repeat.
  const values = seen.map((e) => e.value.toString());
  expect(values[0]).toBe('before');
  expect(values.slice(1).every((v) => v === 'after')).toBe(true);
});
