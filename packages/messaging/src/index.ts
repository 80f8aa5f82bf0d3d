export { type AmqpMessagingOptions, createAmqpMessaging } from './amqp.ts';
export type { BrokerChannel, BrokerConnection, Connect, Delivery } from './driver.ts';
export {
  BrokerUnavailableError,
  MessagingError,
  PermanentError,
  PublishRejectedError,
  TopologyError,
  UnroutableError,
} from './errors.ts';
export { createMemoryMessaging, MemoryBroker, type MemoryMessagingOptions } from './memory.ts';
export { MessagingClient, type MessagingLogger, type MessagingOptions } from './messaging.ts';
// The port is the package's surface: every type of it, whatever it grows.
export type * from './port.ts';
export { classifyError, type ErrorClassifier, type ErrorKind, HEADER } from './retry.ts';
export {
  type BindingSpec,
  DEFAULT_DELIVERY_LIMIT,
  delayQueueName,
  type ExchangeSpec,
  planTopology,
  type QueueSpec,
  type RetryPolicy,
  type Topology,
} from './topology.ts';
