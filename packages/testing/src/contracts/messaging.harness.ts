import {
  createAmqpMessaging,
  createMemoryMessaging,
  MemoryBroker,
  type Messaging,
  type MessagingOptions,
  type Topology,
} from '@single/messaging';
import { createTestVhost } from '../rabbitmq.ts';
import { waitUntil } from './wait.ts';

export interface ClientOptions extends Partial<Omit<MessagingOptions, 'topology'>> {
  /** Identifies the connection, as a process would (used to kill it). Default `app`. */
  connectionName?: string;
}

/** What the messaging contract needs from a broker, real or in-memory. */
export interface MessagingHarness {
  /** A client as one process opens it: its own connection, named. Closed by dispose(). */
  connect(topology: Topology, options?: ClientOptions): Messaging;
  /** A client pointed at a broker that never answers. */
  connectUnreachable(topology: Topology, options?: ClientOptions): Messaging;
  /** The process behind this connection dies: its connection drops without acking anything. */
  killConnection(connectionName: string): Promise<void>;
  /** The broker goes away and comes back: every connection drops. */
  restartBroker(): Promise<void>;
  /** Simulates lost topology (e.g. a broker rebuilt from scratch). */
  deleteExchange(name: string): Promise<void>;
  deleteQueue(name: string): Promise<void>;
  queueExists(name: string): Promise<boolean>;
  dispose(): Promise<void>;
}

// Fast reconnects keep the tests short; production keeps the defaults.
const fast = { reconnect: { initialDelayMs: 50, maxDelayMs: 500 }, closeTimeoutMs: 2000 };

function tracked() {
  const clients: Messaging[] = [];
  return {
    add(client: Messaging) {
      clients.push(client);
      return client;
    },
    closeAll: () => Promise.all(clients.map((c) => c.close())),
  };
}

/** RabbitMQ in a fresh vhost; "restart" force-closes every connection of the vhost through the management API. */
export async function amqpMessagingHarness(): Promise<MessagingHarness> {
  const vhost = await createTestVhost();
  const clients = tracked();
  const killable = async (connectionName?: string) => {
    // A new connection shows up in the management API after a moment: wait until there is one to close.
    await waitUntil(async () => (await vhost.closeConnections(connectionName)) > 0, {
      timeoutMs: 10_000,
      message: `connection ${connectionName ?? '(any)'} listed by the management API`,
    });
  };
  return {
    connect: (topology, { connectionName = 'app', ...options } = {}) =>
      clients.add(createAmqpMessaging({ ...fast, ...options, topology, url: vhost.url, connectionName })),
    connectUnreachable: (topology, { connectionName = 'app', ...options } = {}) =>
      clients.add(
        createAmqpMessaging({
          ...fast,
          ...options,
          topology,
          // Port 1 on loopback refuses at once: a broker that is down.
          url: 'amqp://single:single@127.0.0.1:1',
          connectionName,
        }),
      ),
    killConnection: (name) => killable(name),
    restartBroker: () => killable(),
    deleteExchange: (name) => vhost.deleteExchange(name),
    deleteQueue: (name) => vhost.deleteQueue(name),
    queueExists: (name) => vhost.queueExists(name),
    async dispose() {
      await clients.closeAll();
      await vhost.dispose();
    },
  };
}

/** The in-memory broker, one per test; "restart" stops it briefly, dropping every connection. */
export async function memoryMessagingHarness(): Promise<MessagingHarness> {
  const broker = new MemoryBroker();
  const clients = tracked();
  return {
    connect: (topology, { connectionName = 'app', ...options } = {}) =>
      clients.add(createMemoryMessaging({ ...fast, ...options, topology, broker, connectionName })),
    connectUnreachable: (topology, { connectionName = 'app', ...options } = {}) => {
      const down = new MemoryBroker();
      down.stop();
      return clients.add(createMemoryMessaging({ ...fast, ...options, topology, broker: down, connectionName }));
    },
    async killConnection(name) {
      if (broker.killConnection(name) === 0) throw new Error(`no connection named ${name}`);
    },
    restartBroker: () => broker.restart(100),
    deleteExchange: async (name) => broker.deleteExchange(name),
    deleteQueue: async (name) => broker.deleteQueue(name),
    queueExists: async (name) => broker.queues.has(name),
    async dispose() {
      await clients.closeAll();
    },
  };
}
