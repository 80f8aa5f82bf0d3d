import { randomBytes } from 'node:crypto';
import { createKafkaEventBus } from '@single/events';
import { stormServers } from './servers.ts';
import type { SalesEvent } from './verify.ts';

// Reading the platform from outside after the drain: the sales stream as a new consumer group sees it, and
// RabbitMQ's queues as the management API lists them.

/** Every event on `topic` from the beginning; done once `expected` arrived and nothing new came for a while. */
export async function readSalesTopic(topic: string, expected: number, timeoutMs: number): Promise<SalesEvent[]> {
  const bus = createKafkaEventBus({ brokers: [stormServers.KAFKA_BROKERS], clientId: 'storm-reader' });
  const events: SalesEvent[] = [];
  let last = Date.now();
  const subscription = await bus.subscribe({
    topics: [topic],
    groupId: `storm-reader-${randomBytes(4).toString('hex')}`,
    fromBeginning: true,
    handler: async (message) => {
      events.push(JSON.parse(message.value.toString()) as SalesEvent);
      last = Date.now();
    },
  });
  const deadline = Date.now() + timeoutMs;
  // A few quiet seconds past the expected count, so that a late duplicate would still be seen.
  while (Date.now() < deadline && !(events.length >= expected && Date.now() - last > 3_000)) {
    await new Promise((r) => setTimeout(r, 250));
  }
  await subscription.stop();
  await bus.close();
  return events;
}

export interface QueueState {
  name: string;
  messages: number;
}

/** The storm broker's queues (management API), to find dead letters and anything left undelivered. */
export async function rabbitQueues(): Promise<QueueState[]> {
  const url = new URL(stormServers.RABBITMQ_MANAGEMENT_URL);
  const auth = Buffer.from(`${url.username}:${url.password}`).toString('base64');
  const response = await fetch(`${url.origin}${url.pathname}/queues?columns=name,messages`, {
    headers: { authorization: `Basic ${auth}` },
  });
  if (!response.ok) throw new Error(`RabbitMQ management answered ${response.status}`);
  return ((await response.json()) as { name: string; messages?: number }[]).map((q) => ({
    name: q.name,
    messages: q.messages ?? 0,
  }));
}
