export {
  type ConsumerLagOptions,
  type ConsumerLagReader,
  createConsumerLagReader,
  type PartitionLag,
} from './consumer-lag.ts';
export { withDeadline } from './deadline.ts';
export { EventBusClosedError, EventsUnavailableError } from './errors.ts';
export { createKafkaEventBus, type KafkaEventBusOptions } from './kafka-event-bus.ts';
export {
  describeKafkaSecurity,
  type KafkaSecurity,
  KafkaSecurityConfigError,
  kafkajsSecurity,
  kafkaSecurityFromEnv,
  kafkaSecurityFromEnvOrExit,
} from './kafka-security.ts';
export { createMemoryEventBus, type MemoryEventBusOptions } from './memory-event-bus.ts';
export { partitionForKey } from './partition.ts';
export type {
  EventBus,
  EventHandler,
  IncomingEvent,
  OutgoingEvent,
  SubscribeOptions,
  Subscription,
} from './port.ts';
export { ensureTopicPartitions, type TopicPartitions } from './topic-partitions.ts';
