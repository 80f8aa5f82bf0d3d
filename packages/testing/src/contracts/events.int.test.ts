import { createKafkaEventBus, createMemoryEventBus } from '@single/events';
import { createKafkaTestContext } from '../kafka.ts';
import { eventsContract } from './events.contract.ts';

eventsContract('in-memory', async () => {
  const bus = createMemoryEventBus({ redeliveryDelayMs: 10 });
  let n = 0;
  return {
    bus,
    topic: () => `test.memory.${++n}`,
    groupId: () => `group.${++n}`,
    cleanup: () => bus.close(),
  };
});

eventsContract('kafka', async () => {
  const kafka = createKafkaTestContext();
  const bus = createKafkaEventBus({
    brokers: kafka.brokers,
    clientId: 'events-contract',
    // Fast handler retries keep the redelivery tests short; production uses the default ladder.
    handlerRetry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
  });
  return {
    bus,
    topic: kafka.topic,
    groupId: kafka.groupId,
    async cleanup() {
      await bus.close();
      await kafka.cleanup();
    },
  };
});
