export { type CacheHarness, cacheContract } from './contracts/cache.contract.ts';
export { type EventsHarness, eventsContract } from './contracts/events.contract.ts';
export {
  type HttpErrorsHarness,
  type HttpErrorsService,
  httpErrorsContract,
  type RawResponse,
  rawHttp,
} from './contracts/http-errors.contract.ts';
export { messagingContract } from './contracts/messaging.contract.ts';
export {
  amqpMessagingHarness,
  type MessagingHarness,
  memoryMessagingHarness,
} from './contracts/messaging.harness.ts';
export * from './datadog-agent.ts';
export * from './dates.ts';
export * from './env.ts';
export * from './eventually.ts';
export * from './fake-shopify.ts';
export * from './kafka.ts';
export * from './kafka-topic.ts';
export * from './mime.ts';
export * from './pg-queries.ts';
export * from './postgres.ts';
export * from './rabbitmq.ts';
export * from './redis.ts';
export * from './shared-fixtures.ts';
export * from './shopify.ts';
export * from './smtp.ts';
