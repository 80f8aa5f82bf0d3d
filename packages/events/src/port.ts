/** A message to publish. The key picks the partition, so events with one key stay in order. */
export interface OutgoingEvent {
  key: string | null;
  value: Buffer | string;
  /** Carried as Kafka record headers; trace context travels here. */
  headers?: Record<string, string>;
}

/** A consumed message as a handler sees it. */
export interface IncomingEvent {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit, so they stay strings. */
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

export type EventHandler = (event: IncomingEvent) => Promise<void>;

export interface SubscribeOptions {
  topics: readonly string[];
  groupId: string;
  /** Where a group with no committed offset starts: the oldest message (true) or only new ones (false). */
  fromBeginning: boolean;
  /**
   * Runs once per message, in order within a partition. The offset is committed only after it resolves;
   * when it throws, the message is delivered again (to this member or, after a rebalance, another one),
   * and later messages of that partition wait. Handlers must therefore be idempotent.
   */
  handler: EventHandler;
}

export interface Subscription {
  readonly groupId: string;
  /** Leaves the group after the message in hand (if any) is handled; uncommitted messages go to other members. */
  stop(): Promise<void>;
}

/** The events port (Kafka in production, in memory for the zero-setup demo). */
export interface EventBus {
  /**
   * Resolves once every message is acknowledged by all in-sync replicas; rejects with EventsUnavailableError,
   * never while a send it started may still land (a caller may publish the same events again on rejection).
   */
  publish(topic: string, messages: readonly OutgoingEvent[]): Promise<void>;
  /** Joins the consumer group; resolves once the member has its first partition assignment. */
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /**
   * Per partition of an existing topic, the offset its next message will get (Kafka's high watermark).
   * Recorded before a publish whose outcome may stay unknown, so readFrom can later say what landed.
   */
  endOffsets(topic: string): Promise<ReadonlyMap<number, string>>;
  /**
   * Every message of `topic` from `from` (per partition; a partition not named is read from its start) up to
   * the end offsets at the time of the call, in offset order per partition; a topic that does not exist holds
   * nothing. Joins no consumer group that stays behind; rejects with EventsUnavailableError when the broker
   * cannot answer in time.
   */
  readFrom(topic: string, from: ReadonlyMap<number, string>): Promise<IncomingEvent[]>;
  /** Creates the topics that do not exist yet (existing topics are left as they are). */
  ensureTopics(topics: readonly string[], partitions: number): Promise<void>;
  /** True when the broker answers in time; never rejects (fits a readiness check). */
  health(): Promise<boolean>;
  /** Stops every subscription and disconnects. Idempotent. */
  close(): Promise<void>;
}
