/**
 * The slice of the AMQP 0-9-1 client the messaging core uses. amqplib's ChannelModel/ConfirmChannel provide
 * it as is; the in-memory broker implements the same slice with the same semantics, so both adapters share
 * one core (reconnect, confirm window, retry ladder, DLQ operations).
 */
export interface DeliveryFields {
  deliveryTag: number;
  redelivered: boolean;
  exchange: string;
  routingKey: string;
}

export interface MessageProperties {
  messageId?: string;
  headers?: Record<string, unknown>;
  contentType?: string;
  correlationId?: string;
  type?: string;
}

export interface Delivery {
  content: Buffer;
  fields: DeliveryFields;
  properties: MessageProperties;
}

export interface PublishProperties extends MessageProperties {
  persistent: boolean;
  mandatory: boolean;
  messageId: string;
  headers: Record<string, unknown>;
}

export interface BrokerChannel {
  assertExchange(name: string, type: string, options: { durable: boolean }): Promise<unknown>;
  assertQueue(name: string, options: { durable: boolean; arguments: Record<string, unknown> }): Promise<unknown>;
  bindQueue(queue: string, exchange: string, pattern: string): Promise<unknown>;
  checkQueue(queue: string): Promise<{ messageCount: number; consumerCount: number }>;
  prefetch(count: number): Promise<unknown>;
  consume(
    queue: string,
    onMessage: (message: Delivery | null) => void,
    options: { noAck: boolean },
  ): Promise<{ consumerTag: string }>;
  cancel(consumerTag: string): Promise<unknown>;
  get(queue: string, options: { noAck: boolean }): Promise<Delivery | false>;
  ack(message: Delivery): void;
  nack(message: Delivery, allUpTo?: boolean, requeue?: boolean): void;
  /** On a confirm channel the callback runs on broker ack (no error) or nack / channel loss (error). */
  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: PublishProperties,
    callback?: (err: unknown) => void,
  ): boolean;
  close(): Promise<void>;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'return', listener: (message: Delivery) => void): unknown;
}

export interface BrokerConnection {
  createChannel(): Promise<BrokerChannel>;
  createConfirmChannel(): Promise<BrokerChannel>;
  close(): Promise<void>;
  on(event: 'close', listener: (err?: Error) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

export type Connect = () => Promise<BrokerConnection>;

/** amqplib reports a broker nack with this message and a lost channel with "channel closed". */
export const NACK_MESSAGE = 'message nacked';
export const CHANNEL_CLOSED_MESSAGE = 'channel closed';
