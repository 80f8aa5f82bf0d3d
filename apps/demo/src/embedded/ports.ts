import { type Cache, createMemoryCache, createRedisCache, MemoryCacheStore } from '@single/cache';
import { createKafkaEventBus, createMemoryEventBus, type EventBus } from '@single/events';
import type { Logger } from '@single/logger';
import {
  createAmqpMessaging,
  createMemoryMessaging,
  MemoryBroker,
  type Messaging,
  type MessagingHooks,
  type Topology,
} from '@single/messaging';

/** Which server backs each port: the in-memory adapter, or the real server named by the environment. */
export interface PortChoice {
  postgres: 'pglite' | 'server';
  rabbitmq: 'memory' | 'server';
  redis: 'memory' | 'server';
  kafka: 'memory' | 'server';
}

export interface DemoPorts {
  logger: Logger;
  choice: PortChoice;
  messaging(options: {
    connectionName: string;
    topology: Topology;
    hooks?: MessagingHooks;
    publishTimeoutMs?: number;
  }): Messaging;
  cache(keyPrefix: string): Cache;
  events(clientId: string): EventBus;
  /** Closes what the apps share (the in-memory event bus); each app closes its own clients. */
  close(): Promise<void>;
}

export interface ServerUrls {
  DATABASE_URL?: string | undefined;
  RABBITMQ_URL?: string | undefined;
  REDIS_URL?: string | undefined;
  KAFKA_BROKERS?: string | undefined;
}

/**
 * One process, one of each "server": the apps share a MemoryBroker (one RabbitMQ), a MemoryCacheStore
 * (one Redis) and one in-memory event bus (one Kafka), exactly as they would share the real servers.
 * A URL in the environment switches that port to the real server.
 */
export function createDemoPorts(urls: ServerUrls, logger: Logger): DemoPorts {
  const choice: PortChoice = {
    postgres: urls.DATABASE_URL ? 'server' : 'pglite',
    rabbitmq: urls.RABBITMQ_URL ? 'server' : 'memory',
    redis: urls.REDIS_URL ? 'server' : 'memory',
    kafka: urls.KAFKA_BROKERS ? 'server' : 'memory',
  };
  const broker = new MemoryBroker();
  const store = new MemoryCacheStore();
  const sharedBus = choice.kafka === 'memory' ? createMemoryEventBus() : undefined;
  return {
    logger,
    choice,
    messaging({ connectionName, topology, hooks, publishTimeoutMs }) {
      const common = {
        connectionName,
        topology,
        logger,
        ...(hooks ? { hooks } : {}),
        ...(publishTimeoutMs ? { publishTimeoutMs } : {}),
      };
      return urls.RABBITMQ_URL
        ? createAmqpMessaging({ url: urls.RABBITMQ_URL, ...common })
        : createMemoryMessaging({ broker, ...common });
    },
    cache(keyPrefix) {
      return urls.REDIS_URL
        ? createRedisCache({ url: urls.REDIS_URL, keyPrefix: `demo:${keyPrefix}`, logger })
        : createMemoryCache({ keyPrefix, store });
    },
    events(clientId) {
      if (urls.KAFKA_BROKERS) {
        const brokers = urls.KAFKA_BROKERS.split(',').map((b) => b.trim());
        return createKafkaEventBus({ brokers, clientId, logger });
      }
      // Each app "closes its connection"; the shared bus itself closes with the demo.
      return { ...(sharedBus as EventBus), close: async () => {} };
    },
    async close() {
      await sharedBus?.close();
    },
  };
}
