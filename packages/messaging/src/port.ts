import type { ErrorClassifier } from './retry.ts';

export interface PublishOptions {
  /** Consumers deduplicate on it; generated when absent. */
  messageId?: string;
  /** Opaque to this package (trace context travels here). */
  headers?: Record<string, unknown>;
  contentType?: string;
  correlationId?: string;
  type?: string;
  /** Default true: messages survive a broker restart. */
  persistent?: boolean;
  /** Default true: an unroutable message rejects with UnroutableError instead of vanishing. */
  mandatory?: boolean;
  /**
   * Deadline for the whole publish (window slot, reconnect, confirm). On expiry the promise rejects with
   * BrokerUnavailableError, e.g. 1500 ms in the webhook dispatcher before it falls back to its outbox.
   */
  timeoutMs?: number;
}

export interface MessageContext {
  body: Buffer;
  headers: Record<string, unknown>;
  messageId: string | undefined;
  /** The routing key the message was first published with, also after retries and redrives. */
  routingKey: string;
  exchange: string;
  queue: string;
  /** The broker delivered it before without an ack (a consumer died or its connection dropped). */
  redelivered: boolean;
  /** How many times the retry ladder has sent it back (0 on the first attempt). */
  retryCount: number;
  contentType: string | undefined;
}

/** Resolve to ack; throw PermanentError (or a validation error) for the DLQ, anything else to retry. */
export type MessageHandler = (message: MessageContext) => Promise<void> | void;

export interface ConsumeOptions {
  /** Unacked deliveries this consumer holds at most, i.e. its concurrency. Default 10. */
  prefetch?: number;
  /**
   * Messages with the same key run one at a time in this process, in delivery order (e.g. per order id);
   * others still run concurrently up to `prefetch`.
   */
  serializeBy?: (message: MessageContext) => string | undefined;
  /** Overrides the default error classification for this consumer. */
  classify?: ErrorClassifier;
}

export interface Consumer {
  readonly queue: string;
  /** Stops deliveries, waits for running handlers (their acks go out), then closes the channel. */
  cancel(): Promise<void>;
}

export interface MessagingHealth {
  connected: boolean;
  /** Consumers registered and consumers currently attached to the broker. */
  consumers: { registered: number; active: number };
  unconfirmedPublishes: number;
}

export interface DeadLetter {
  messageId: string | undefined;
  body: Buffer;
  headers: Record<string, unknown>;
  originalExchange: string | undefined;
  originalRoutingKey: string | undefined;
  originalQueue: string | undefined;
  errorClass: string | undefined;
  errorMessage: string | undefined;
  /** `permanent`, `retries-exhausted`, or the broker's reason (e.g. `delivery_limit`). */
  reason: string | undefined;
  retryCount: number;
}

export interface RedriveResult {
  redriven: number;
  /** Messages left in the DLQ because their original queue is unknown. */
  skipped: number;
}

export interface DeadLetterScan<T> {
  /** What `pick` kept, in queue order. */
  items: T[];
  /** Messages read. */
  scanned: number;
  /** Not every ready message was read: the queue held more than `max` (or the read ran out of time). */
  truncated: boolean;
}

export interface QueueStats {
  /** Ready messages (not counting deliveries held unacked by consumers). */
  messageCount: number;
  consumerCount: number;
}

export interface Messaging {
  publish(exchange: string, routingKey: string, body: Buffer, options?: PublishOptions): Promise<void>;
  consume(queue: string, handler: MessageHandler, options?: ConsumeOptions): Promise<Consumer>;
  /** Resolves once connected with the topology applied; rejects with BrokerUnavailableError on timeout. */
  waitUntilConnected(timeoutMs: number): Promise<void>;
  health(): MessagingHealth;
  inspectQueue(queue: string): Promise<QueueStats>;
  /** Peeks without consuming: reads up to `limit` messages unacked, then returns them all to the queue. */
  listDeadLetters(deadLetterQueue: string, limit: number): Promise<DeadLetter[]>;
  /** Moves messages back to their original queue: publish with confirm first, then ack the DLQ copy. */
  redrive(deadLetterQueue: string, options: { limit: number }): Promise<RedriveResult>;
  /**
   * Peeks at the first `max` ready messages (at most 65,535) without consuming, keeping what `pick` returns:
   * a whole queue read in one pass, e.g. to find one account's letters among everyone's.
   */
  scanDeadLetters<T>(
    deadLetterQueue: string,
    options: { max: number; pick: (letter: DeadLetter) => T | undefined },
  ): Promise<DeadLetterScan<T>>;
  /** Redrives the messages `select` accepts among the first `max` (as `redrive`); the others stay untouched. */
  redriveSelected(
    deadLetterQueue: string,
    options: { max: number; select: (letter: DeadLetter) => boolean },
  ): Promise<RedriveResult>;
  /** Cancels consumers, waits for running handlers and unconfirmed publishes (bounded), then disconnects. */
  close(): Promise<void>;
}

export interface MessagingHooks {
  /** Returns the headers to publish, e.g. with trace context injected. */
  onPublishHeaders?: (headers: Record<string, unknown>) => Record<string, unknown>;
  /** Wraps each handler run, e.g. in a span continued from the message headers. */
  onConsume?: (message: MessageContext, run: () => Promise<void>) => Promise<void>;
}
