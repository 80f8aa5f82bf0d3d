import amqplib from 'amqplib';
import type { BrokerConnection } from './driver.ts';
import { MessagingClient, type MessagingOptions } from './messaging.ts';
import type { Messaging } from './port.ts';

export interface AmqpMessagingOptions extends MessagingOptions {
  /** amqp://user:pass@host:port/vhost */
  url: string;
  /** Shown in the RabbitMQ management UI; tests use it to find and drop this connection. */
  connectionName: string;
  /** Default 10 s: a silently dead TCP peer is noticed within two intervals. */
  heartbeatSeconds?: number;
  /** TCP connect timeout. Default 5 s. */
  connectTimeoutMs?: number;
}

/** RabbitMQ adapter (amqplib). Connects in the background; see waitUntilConnected(). */
export function createAmqpMessaging(options: AmqpMessagingOptions): Messaging {
  const url = new URL(options.url);
  url.searchParams.set('heartbeat', String(options.heartbeatSeconds ?? 10));
  const connect = async (): Promise<BrokerConnection> => {
    const model = await amqplib.connect(url.toString(), {
      timeout: options.connectTimeoutMs ?? 5000,
      clientProperties: { connection_name: options.connectionName },
    });
    // amqplib's ChannelModel and ConfirmChannel implement the driver slice; their overloaded `on`
    // signatures are what keeps TypeScript from seeing that structurally.
    return model as unknown as BrokerConnection;
  };
  return new MessagingClient(connect, options);
}
