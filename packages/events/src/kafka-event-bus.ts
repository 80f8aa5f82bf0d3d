import type { Logger } from '@single/logger';
import { silentLogger } from '@single/logger';
import { type Consumer, Kafka, logLevel, Partitioners, type RetryOptions } from 'kafkajs';
import { withDeadline } from './deadline.ts';
import { EventBusClosedError, EventsUnavailableError } from './errors.ts';
import { kafkaLogCreator } from './kafka-logging.ts';
import { toIncomingEvent } from './kafka-messages.ts';
import { readFrom, watermarks } from './kafka-readback.ts';
import { type KafkaSecurity, kafkajsSecurity } from './kafka-security.ts';
import type { EventBus, OutgoingEvent, SubscribeOptions, Subscription } from './port.ts';

export interface KafkaEventBusOptions {
  brokers: readonly string[];
  clientId: string;
  logger?: Logger;
  /** TLS and SASL for a managed broker (kafkaSecurityFromEnv); absent: plaintext, as the local broker. */
  security?: KafkaSecurity;
  /** kafkajs lines at or below this level reach the logger; WARN by default. */
  kafkaLogLevel?: logLevel;
  /** TCP connect to one broker. */
  connectionTimeoutMs?: number;
  /** One request to a broker (a silent broker costs this much per attempt). */
  requestTimeoutMs?: number;
  /** Retries of one broker call inside kafkajs (connects, metadata, produce). */
  retries?: number;
  /**
   * Hard bound on health and on publish's connect, whatever kafkajs does underneath. A publish's send is not
   * cut short (it may still land): kafkajs' requestTimeoutMs and retries bound it.
   */
  operationTimeoutMs?: number;
  /** Hard bound on ensureTopics (topic creation waits for partition leaders). */
  adminTimeoutMs?: number;
  /** Bound on readFrom: a throwaway group's join, its seeks and the fetches up to the end offsets. */
  readTimeoutMs?: number;
  /** Bound on subscribe: connect, subscribe and the first group join. */
  joinTimeoutMs?: number;
  /** A member that stops heartbeating is dropped from its group after this long. */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Retry ladder for a failing handler before the member restarts and re-reads from the committed offset. */
  handlerRetry?: Pick<RetryOptions, 'retries' | 'initialRetryTime' | 'maxRetryTime'>;
}

/** Thrown to kafkajs when a handler fails: marked retriable so the consumer retries and then restarts. */
class HandlerFailedError extends Error {
  override readonly name = 'EventHandlerFailedError';
  readonly retriable = true;
  readonly handlerError: unknown;
  constructor(handlerError: unknown) {
    super(handlerError instanceof Error ? handlerError.message : String(handlerError));
    this.handlerError = handlerError;
  }
}

/**
 * The events port on Kafka (kafkajs). One idempotent producer (acks from all in-sync replicas, one request
 * in flight so retries cannot reorder), one consumer per subscription, offsets committed after each
 * handled message. Every call is bounded: a stopped broker or one that accepts connections and never
 * answers makes calls reject with EventsUnavailableError within operationTimeoutMs (a publish whose send has
 * started: once kafkajs' own request timeouts and retries have given up, so it never rejects while it may land).
 */
export function createKafkaEventBus(options: KafkaEventBusOptions): EventBus {
  const logger = options.logger ?? silentLogger();
  const connectionTimeout = options.connectionTimeoutMs ?? 1_000;
  const requestTimeout = options.requestTimeoutMs ?? 2_000;
  const operationTimeoutMs = options.operationTimeoutMs ?? 2_500;
  const adminTimeoutMs = options.adminTimeoutMs ?? 10_000;
  const joinTimeoutMs = options.joinTimeoutMs ?? 20_000;
  const retry: RetryOptions = { retries: options.retries ?? 2, initialRetryTime: 100, maxRetryTime: 1_000 };
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    ...kafkajsSecurity(options.security),
    connectionTimeout,
    requestTimeout,
    enforceRequestTimeout: true,
    retry,
    logLevel: options.kafkaLogLevel ?? logLevel.WARN,
    logCreator: kafkaLogCreator(logger),
  });

  let closed = false;
  const subscriptions = new Set<KafkaSubscription>();

  const isRetriable = (error: unknown) =>
    error instanceof Error && (error as { retriable?: boolean }).retriable === true;
  const unavailable = (what: string, cause?: unknown) =>
    new EventsUnavailableError(`kafka: ${what}${cause instanceof Error ? `: ${cause.message}` : ''}`, { cause });
  const assertOpen = () => {
    if (closed) throw new EventBusClosedError('event bus is closed');
  };

  // A client whose connect or call failed is thrown away and made anew on next use: kafkajs can be left
  // half-connected (or with a connect that never settles) after a broker went silent.
  function lazily<T extends { connect(): Promise<void>; disconnect(): Promise<void> }>(make: () => T) {
    let current: Promise<T> | undefined;
    return {
      get(): Promise<T> {
        if (!current) {
          const client = make();
          current = client.connect().then(() => client);
          current.catch(() => undefined);
        }
        return current;
      },
      async reset(): Promise<void> {
        const stale = current;
        current = undefined;
        if (stale) await stale.then((c) => c.disconnect()).catch(() => undefined);
      },
    };
  }
  const producers = lazily(() =>
    kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry,
    }),
  );
  const admins = lazily(() => kafka.admin({ retry }));

  async function bounded<T>(what: string, ms: number, client: ReturnType<typeof lazily>, work: () => Promise<T>) {
    try {
      return await withDeadline(work(), ms, () => unavailable(`${what} timed out after ${ms} ms`));
    } catch (error) {
      // Reset without waiting: a disconnect from a silent broker could itself take a while.
      void client.reset();
      if (error instanceof EventsUnavailableError) throw error;
      throw unavailable(`${what} failed`, error);
    }
  }

  const bus: EventBus = {
    async publish(topic, messages) {
      assertOpen();
      if (messages.length === 0) return;
      // Only the connect is raced against the deadline (nothing is sent yet). The send itself is never
      // abandoned: a send given up on by a timer may still land, and a caller that then publishes the same
      // events again writes them twice (the storm's duplicate sales events). kafkajs bounds it instead:
      // every request times out (enforceRequestTimeout) and its retries are counted, so it settles within
      // about (retries + 1) x (requestTimeoutMs + maxRetryTime), with its real outcome.
      const p = await bounded(`connect to publish to ${topic}`, operationTimeoutMs, producers, () => producers.get());
      try {
        await p.send({ topic, acks: -1, messages: messages.map(toKafkaMessage) });
      } catch (error) {
        void producers.reset();
        throw unavailable(`publish to ${topic} failed`, error);
      }
    },

    async subscribe(subscribeOptions) {
      assertOpen();
      const subscription = new KafkaSubscription(kafka, subscribeOptions, {
        logger,
        operationTimeoutMs,
        joinTimeoutMs,
        sessionTimeout: options.sessionTimeoutMs ?? 10_000,
        heartbeatInterval: options.heartbeatIntervalMs ?? 1_000,
        retry,
        handlerRetry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5_000, ...options.handlerRetry },
        onStop: () => subscriptions.delete(subscription),
      });
      subscriptions.add(subscription);
      try {
        await subscription.start();
      } catch (error) {
        await subscription.stop();
        throw error instanceof EventsUnavailableError
          ? error
          : unavailable(`subscribe ${subscribeOptions.groupId}`, error);
      }
      return subscription;
    },

    async endOffsets(topic) {
      assertOpen();
      return bounded(`end offsets of ${topic}`, operationTimeoutMs, admins, async () => {
        const ends = await watermarks(await admins.get(), topic);
        return new Map([...ends].map(([partition, { high }]) => [partition, high.toString()]));
      });
    },

    async readFrom(topic, from) {
      assertOpen();
      const admin = await bounded(`connect to read ${topic}`, operationTimeoutMs, admins, () => admins.get());
      return readFrom(kafka, admin, topic, from, {
        clientId: options.clientId,
        retry,
        timeoutMs: options.readTimeoutMs ?? joinTimeoutMs,
      });
    },

    async ensureTopics(topics, partitions) {
      assertOpen();
      if (topics.length === 0) return;
      const existing = await bounded('list topics', operationTimeoutMs, admins, async () => {
        const a = await admins.get();
        return new Set(await a.listTopics());
      });
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length === 0) return;
      // Creation waits for partition leaders, which takes longer than one request. While a new topic's
      // metadata spreads, the broker may answer "does not host this topic-partition" (retriable), which
      // kafkajs's own wait for leaders does not retry: wait for the metadata ourselves until the deadline.
      await bounded('create topics', adminTimeoutMs, admins, async () => {
        const a = await admins.get();
        await a
          .createTopics({
            waitForLeaders: true,
            topics: missing.map((topic) => ({ topic, numPartitions: partitions })),
          })
          .catch((error: unknown) => {
            if (!isRetriable(error)) throw error;
          });
        for (;;) {
          try {
            const { topics } = await a.fetchTopicMetadata({ topics: missing });
            if (topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
          } catch (error) {
            if (!isRetriable(error)) throw error;
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      });
    },

    async health() {
      if (closed) return false;
      try {
        await bounded('health', operationTimeoutMs, admins, async () => {
          const a = await admins.get();
          const { brokers } = await a.describeCluster();
          if (brokers.length === 0) throw new Error('no live broker');
        });
        return true;
      } catch {
        return false;
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.stop()));
      await Promise.all([producers.reset(), admins.reset()]);
    },
  };
  return bus;
}

interface SubscriptionSettings {
  logger: Logger;
  operationTimeoutMs: number;
  joinTimeoutMs: number;
  sessionTimeout: number;
  heartbeatInterval: number;
  retry: RetryOptions;
  handlerRetry: RetryOptions;
  onStop: () => void;
}

class KafkaSubscription implements Subscription {
  readonly groupId: string;
  readonly #consumer: Consumer;
  readonly #options: SubscribeOptions;
  readonly #settings: SubscriptionSettings;
  #stopping: Promise<void> | undefined;

  constructor(kafka: Kafka, options: SubscribeOptions, settings: SubscriptionSettings) {
    this.groupId = options.groupId;
    this.#options = options;
    this.#settings = settings;
    this.#consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: settings.sessionTimeout,
      heartbeatInterval: settings.heartbeatInterval,
      // Short fetch long-polls keep stop() quick; an idle member sends about one fetch a second.
      maxWaitTimeInMs: 1_000,
      allowAutoTopicCreation: false,
      // Retriable crashes (a failing handler after its retries, a broker away) restart the member,
      // which re-reads from the committed offset.
      retry: { ...settings.handlerRetry, restartOnFailure: async () => true },
    });
    const log = settings.logger.child({ component: 'events', groupId: options.groupId });
    this.#consumer.on(this.#consumer.events.CRASH, ({ payload }) => {
      const level = payload.restart ? 'warn' : 'error';
      log[level]({ err: payload.error, restart: payload.restart }, 'kafka consumer crashed');
    });
  }

  async start(): Promise<void> {
    const { topics, fromBeginning, handler } = this.#options;
    const { operationTimeoutMs, joinTimeoutMs } = this.#settings;
    const consumer = this.#consumer;
    // Joined and positioned: kafkajs resolves a new group's start offset in its first fetch after the
    // join, so a message published once subscribe() resolved is never skipped by `fromBeginning: false`.
    const joined = new Promise<void>((resolve) => {
      let hasJoined = false;
      const offJoin = consumer.on(consumer.events.GROUP_JOIN, () => {
        hasJoined = true;
        offJoin();
      });
      const offFetch = consumer.on(consumer.events.FETCH, () => {
        if (!hasJoined) return;
        offFetch();
        resolve();
      });
    });
    // Reaching the broker is bounded like any call; joining may wait for other members to rejoin.
    await withDeadline(
      (async () => {
        await consumer.connect();
        await consumer.subscribe({ topics: [...topics], fromBeginning });
      })(),
      operationTimeoutMs,
      () => new EventsUnavailableError(`kafka: subscribe ${this.groupId} timed out after ${operationTimeoutMs} ms`),
    );
    const running = consumer.run({
      autoCommit: true,
      // Commit after every handled message: a member that dies re-delivers at most the message in hand.
      autoCommitThreshold: 1,
      eachMessage: async ({ topic, partition, message }) => {
        try {
          await handler(toIncomingEvent(topic, partition, message));
        } catch (error) {
          throw new HandlerFailedError(error);
        }
      },
    });
    await withDeadline(
      Promise.all([running, joined]),
      joinTimeoutMs,
      () => new EventsUnavailableError(`kafka: group ${this.groupId} did not join within ${joinTimeoutMs} ms`),
    );
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#consumer
      .disconnect()
      .catch(() => undefined)
      .finally(() => this.#settings.onStop());
    return this.#stopping;
  }
}

function toKafkaMessage(message: OutgoingEvent) {
  return { key: message.key, value: message.value, headers: message.headers ?? {} };
}
