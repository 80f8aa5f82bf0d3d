/** Base class of every error this package raises, so callers can tell broker trouble from their own bugs. */
export class MessagingError extends Error {
  override name = 'MessagingError';
}

/**
 * The broker could not take the message in time: not connected before the deadline, the connection dropped
 * before the broker confirmed, or the client is closed. The outcome of a publish that fails this way is
 * unknown (it may still have reached the broker), so callers retry or fall back to their outbox; consumers
 * are idempotent on messageId, so a duplicate is harmless while a loss is not.
 */
export class BrokerUnavailableError extends MessagingError {
  override name = 'BrokerUnavailableError';
}

/** The broker refused the message (basic.nack): it was not stored. */
export class PublishRejectedError extends MessagingError {
  override name = 'PublishRejectedError';
}

/** A mandatory publish matched no queue: a topology bug, never silently dropped. */
export class UnroutableError extends MessagingError {
  override name = 'UnroutableError';
  readonly exchange: string;
  readonly routingKey: string;

  constructor(exchange: string, routingKey: string) {
    super(`no queue is bound to exchange "${exchange}" with routing key "${routingKey}"`);
    this.exchange = exchange;
    this.routingKey = routingKey;
  }
}

/** The topology description is inconsistent, or an operation names a queue it does not declare. */
export class TopologyError extends MessagingError {
  override name = 'TopologyError';
}

/**
 * Thrown by a handler when retrying cannot help (invalid message, unknown reference): the message goes
 * straight to the dead-letter queue instead of climbing the retry ladder.
 */
export class PermanentError extends Error {
  override name = 'PermanentError';
}
