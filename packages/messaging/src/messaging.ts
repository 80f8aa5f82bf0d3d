import { randomUUID } from 'node:crypto';
import type { Logger } from '@single/logger';
import { peekQueue } from './dead-letter-scan.ts';
import type { BrokerChannel, BrokerConnection, Connect, Delivery, PublishProperties } from './driver.ts';
import { NACK_MESSAGE } from './driver.ts';
import { BrokerUnavailableError, PublishRejectedError, TopologyError, UnroutableError } from './errors.ts';
import { KeyedSerializer } from './keyed-serializer.ts';
import type {
  ConsumeOptions,
  Consumer,
  DeadLetter,
  DeadLetterScan,
  MessageContext,
  MessageHandler,
  Messaging,
  MessagingHealth,
  MessagingHooks,
  PublishOptions,
  QueueStats,
  RedriveResult,
} from './port.ts';
import {
  classifyError,
  decideFailure,
  describeError,
  type ErrorClassifier,
  HEADER,
  readRetryCount,
  withoutBrokerDeathHeaders,
} from './retry.ts';
import { findQueue, planTopology, retryPolicyOf, type Topology, type TopologyPlan } from './topology.ts';
import { InFlightWindow } from './window.ts';

export type MessagingLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface MessagingOptions {
  topology: Topology;
  logger?: MessagingLogger;
  /** Unconfirmed publishes at most; further publishes wait. Default 1000. */
  maxInFlight?: number;
  /** Default deadline of a publish (see PublishOptions.timeoutMs). Default 10 s. */
  publishTimeoutMs?: number;
  /** Exponential backoff with jitter between reconnect attempts. Defaults 100 ms doubling to 5 s. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** How long close() waits for running handlers and unconfirmed publishes. Default 10 s. */
  closeTimeoutMs?: number;
  hooks?: MessagingHooks;
  classifyError?: ErrorClassifier;
}

interface ConsumerState {
  queue: string;
  handler: MessageHandler;
  prefetch: number;
  serializeBy: ((message: MessageContext) => string | undefined) | undefined;
  classify: ErrorClassifier;
  serializer: KeyedSerializer;
  channel: BrokerChannel | null;
  consumerTag: string | null;
  inFlight: Set<Promise<void>>;
  cancelled: boolean;
  resubscribeTimer: NodeJS.Timeout | null;
  resubscribeAttempt: number;
}

interface PendingPublish {
  messageId: string;
  returned: boolean;
}

const noopLogger: MessagingLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** How long a dead-letter operation waits for the broker to put back the messages its peek held. */
const RETURN_WAIT_MS = 2_000;

/**
 * The messaging client: one connection per process, re-established with backoff; the topology re-applied
 * on every connect; one confirm channel for publishing with a bounded window of unconfirmed messages; one
 * channel per consumer with its own prefetch; failures routed through the retry ladder to the DLQ.
 */
export class MessagingClient implements Messaging {
  readonly #connect: Connect;
  readonly #topology: Topology;
  readonly #plan: TopologyPlan;
  readonly #log: MessagingLogger;
  readonly #publishTimeoutMs: number;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #closeTimeoutMs: number;
  readonly #hooks: MessagingHooks;
  readonly #classify: ErrorClassifier;
  readonly #window: InFlightWindow;

  #connection: BrokerConnection | null = null;
  #publisher: BrokerChannel | null = null;
  #pendingByChannel = new WeakMap<BrokerChannel, Map<string, PendingPublish[]>>();
  #closedChannels = new WeakSet<BrokerChannel>();
  #consumers = new Set<ConsumerState>();
  #readyWaiters = new Set<() => void>();
  #reconnectTimer: NodeJS.Timeout | null = null;
  #attempt = 0;
  #connecting = false;
  #closing = false;
  /** Dead-letter operations of this client, one at a time per queue (see #oneAtATime). */
  #deadLetterTurns = new Map<string, Promise<unknown>>();

  constructor(connect: Connect, options: MessagingOptions) {
    this.#connect = connect;
    this.#topology = options.topology;
    this.#plan = planTopology(options.topology);
    this.#log = options.logger ?? noopLogger;
    this.#publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
    this.#initialDelayMs = options.reconnect?.initialDelayMs ?? 100;
    this.#maxDelayMs = options.reconnect?.maxDelayMs ?? 5000;
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
    this.#hooks = options.hooks ?? {};
    this.#classify = options.classifyError ?? classifyError;
    this.#window = new InFlightWindow(options.maxInFlight ?? 1000);
    void this.#tryConnect();
  }

  // ------------------------------------------------------------------ connection lifecycle

  async #tryConnect(): Promise<void> {
    if (this.#closing || this.#connecting || this.#connection) return;
    this.#connecting = true;
    try {
      await this.#establish();
      this.#attempt = 0;
    } catch (err) {
      this.#log.warn({ err: describeError(err), attempt: this.#attempt }, 'messaging: connect failed');
      this.#scheduleReconnect();
    } finally {
      this.#connecting = false;
    }
  }

  async #establish(): Promise<void> {
    const connection = await this.#connect();
    let lost = false;
    connection.on('error', (err) => this.#log.warn({ err: describeError(err) }, 'messaging: connection error'));
    connection.on('close', (err) => {
      lost = true;
      this.#onConnectionClosed(connection, err);
    });
    try {
      await this.#applyTopology(connection);
      const publisher = await this.#openPublisher(connection);
      if (lost) throw new BrokerUnavailableError('connection closed during setup');
      if (this.#closing) throw new BrokerUnavailableError('messaging is closed');
      this.#connection = connection;
      this.#publisher = publisher;
    } catch (err) {
      await connection.close().catch(() => {});
      throw err;
    }
    this.#log.info({}, 'messaging: connected, topology applied');
    this.#notifyReady();
    for (const consumer of this.#consumers) void this.#subscribe(consumer, connection);
  }

  #onConnectionClosed(connection: BrokerConnection, err: Error | undefined): void {
    if (this.#connection !== connection) return;
    this.#connection = null;
    this.#publisher = null;
    if (this.#closing) return;
    this.#log.warn({ err: err ? describeError(err) : undefined }, 'messaging: connection lost, reconnecting');
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#closing || this.#reconnectTimer) return;
    const base = Math.min(this.#maxDelayMs, this.#initialDelayMs * 2 ** this.#attempt);
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.#attempt++;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      void this.#tryConnect();
    }, delay);
  }

  async #applyTopology(connection: BrokerConnection): Promise<void> {
    const channel = await this.#openChannel(connection, 'topology');
    try {
      for (const exchange of this.#plan.exchanges) {
        await channel.assertExchange(exchange.name, exchange.type, { durable: true });
      }
      for (const queue of this.#plan.queues) {
        await channel.assertQueue(queue.name, { durable: true, arguments: queue.arguments });
      }
      for (const binding of this.#plan.bindings) {
        await channel.bindQueue(binding.queue, binding.exchange, binding.routingKey);
      }
    } finally {
      await this.#closeChannel(channel);
    }
  }

  async #openChannel(connection: BrokerConnection, purpose: string, confirm = false): Promise<BrokerChannel> {
    const channel = confirm ? await connection.createConfirmChannel() : await connection.createChannel();
    // Channel errors also close the channel; the close handlers decide what to do, this only records why.
    channel.on('error', (err) => this.#log.warn({ err: describeError(err), purpose }, 'messaging: channel error'));
    channel.on('close', () => this.#closedChannels.add(channel));
    return channel;
  }

  async #closeChannel(channel: BrokerChannel): Promise<void> {
    if (this.#closedChannels.has(channel)) return;
    await channel.close().catch(() => {});
  }

  async #openPublisher(connection: BrokerConnection): Promise<BrokerChannel> {
    const channel = await this.#openChannel(connection, 'publish', true);
    const pending = new Map<string, PendingPublish[]>();
    this.#pendingByChannel.set(channel, pending);
    // basic.return precedes the confirm of the same message; returns come back in publish order, so the
    // oldest unreturned publish with that messageId is the one.
    channel.on('return', (message) => {
      const record = pending.get(message.properties.messageId ?? '')?.find((p) => !p.returned);
      if (record) record.returned = true;
    });
    channel.on('close', () => {
      // A channel-level error (e.g. publishing to a missing exchange) closes only this channel.
      if (this.#publisher !== channel || this.#connection !== connection || this.#closing) return;
      this.#publisher = null;
      this.#openPublisher(connection).then(
        (next) => {
          if (this.#connection !== connection) return void this.#closeChannel(next);
          this.#publisher = next;
          this.#notifyReady();
        },
        () => void connection.close().catch(() => {}),
      );
    });
    return channel;
  }

  #notifyReady(): void {
    const waiters = [...this.#readyWaiters];
    this.#readyWaiters.clear();
    for (const wake of waiters) wake();
  }

  /** Resolves with the publisher channel, waiting for a reconnect until `deadline`. */
  async #waitForPublisher(deadline: number): Promise<BrokerChannel> {
    for (;;) {
      if (this.#closing) throw new BrokerUnavailableError('messaging is closed');
      if (this.#publisher && !this.#closedChannels.has(this.#publisher)) return this.#publisher;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new BrokerUnavailableError('not connected to the broker before the deadline');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(remaining, 250));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#readyWaiters.add(done);
      });
    }
  }

  async waitUntilConnected(timeoutMs: number): Promise<void> {
    await this.#waitForPublisher(Date.now() + timeoutMs);
  }

  health(): MessagingHealth {
    let active = 0;
    for (const consumer of this.#consumers) if (consumer.consumerTag !== null) active++;
    return {
      connected: this.#connection !== null && this.#publisher !== null,
      consumers: { registered: this.#consumers.size, active },
      unconfirmedPublishes: this.#window.inUse,
    };
  }

  // ------------------------------------------------------------------ publishing

  publish(exchange: string, routingKey: string, body: Buffer, options: PublishOptions = {}): Promise<void> {
    // A publish to an undeclared exchange would close the confirm channel under every in-flight publish.
    if (exchange !== '' && !this.#plan.exchanges.some((e) => e.name === exchange)) {
      return Promise.reject(new TopologyError(`exchange "${exchange}" is not in the topology`));
    }
    const headers = { ...options.headers };
    const properties: PublishProperties = {
      messageId: options.messageId ?? randomUUID(),
      headers: this.#hooks.onPublishHeaders ? this.#hooks.onPublishHeaders(headers) : headers,
      persistent: options.persistent ?? true,
      mandatory: options.mandatory ?? true,
      ...(options.contentType !== undefined && { contentType: options.contentType }),
      ...(options.correlationId !== undefined && { correlationId: options.correlationId }),
      ...(options.type !== undefined && { type: options.type }),
    };
    return this.#publishConfirmed(exchange, routingKey, body, properties, options.timeoutMs ?? this.#publishTimeoutMs);
  }

  #publishConfirmed(
    exchange: string,
    routingKey: string,
    body: Buffer,
    properties: PublishProperties,
    timeoutMs: number,
  ): Promise<void> {
    if (this.#closing) return Promise.reject(new BrokerUnavailableError('messaging is closed'));
    const deadline = Date.now() + timeoutMs;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(
        () => settle(new BrokerUnavailableError(`publish not confirmed within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const send = async () => {
        const release = await this.#window.acquire(
          deadline,
          () => new BrokerUnavailableError(`no publish slot free within ${timeoutMs} ms`),
        );
        try {
          for (;;) {
            // Timed out while waiting: nothing was sent, so give the slot back.
            if (settled) return release();
            const channel = await this.#waitForPublisher(deadline);
            const pending = this.#pendingByChannel.get(channel) ?? new Map<string, PendingPublish[]>();
            const record: PendingPublish = { messageId: properties.messageId, returned: false };
            const sameId = pending.get(record.messageId) ?? [];
            sameId.push(record);
            pending.set(record.messageId, sameId);
            const forget = () => {
              sameId.splice(sameId.indexOf(record), 1);
              if (sameId.length === 0) pending.delete(record.messageId);
            };
            try {
              channel.publish(exchange, routingKey, body, properties, (err) => {
                forget();
                release();
                if (!err) settle(record.returned ? new UnroutableError(exchange, routingKey) : undefined);
                else if (err instanceof Error && err.message === NACK_MESSAGE) {
                  settle(new PublishRejectedError(`broker rejected the message to ${exchange}/${routingKey}`));
                } else {
                  settle(new BrokerUnavailableError('channel closed before the broker confirmed', { cause: err }));
                }
              });
              return;
            } catch {
              // The channel closed under us before anything was sent: wait for the next one.
              forget();
              await sleep(10);
            }
          }
        } catch (err) {
          release();
          throw err;
        }
      };
      send().catch((err: unknown) => settle(err instanceof Error ? err : new Error(String(err))));
    });
  }

  // ------------------------------------------------------------------ consuming

  async consume(queue: string, handler: MessageHandler, options: ConsumeOptions = {}): Promise<Consumer> {
    if (this.#closing) throw new BrokerUnavailableError('messaging is closed');
    const spec = findQueue(this.#topology, queue);
    if (!spec) throw new TopologyError(`queue "${queue}" is not in the topology`);
    if (spec.deadLetterQueue === undefined) {
      throw new TopologyError(`queue "${queue}" has no dead-letter queue; every consumed queue needs one`);
    }
    const state: ConsumerState = {
      queue,
      handler,
      prefetch: options.prefetch ?? 10,
      serializeBy: options.serializeBy,
      classify: options.classify ?? this.#classify,
      serializer: new KeyedSerializer(),
      channel: null,
      consumerTag: null,
      inFlight: new Set(),
      cancelled: false,
      resubscribeTimer: null,
      resubscribeAttempt: 0,
    };
    this.#consumers.add(state);
    if (this.#connection) await this.#subscribe(state, this.#connection);
    return { queue, cancel: () => this.#cancel(state) };
  }

  async #subscribe(state: ConsumerState, connection: BrokerConnection): Promise<void> {
    if (state.cancelled || this.#closing || this.#connection !== connection) return;
    let channel: BrokerChannel | undefined;
    try {
      channel = await this.#openChannel(connection, `consume ${state.queue}`);
      const opened = channel;
      channel.on('close', () => this.#onConsumerChannelClosed(state, opened, connection));
      await channel.prefetch(state.prefetch);
      const { consumerTag } = await channel.consume(
        state.queue,
        (message) => (message ? this.#onDelivery(state, opened, message) : this.#onServerCancel(state, opened)),
        { noAck: false },
      );
      if (state.cancelled || this.#closing) {
        await this.#closeChannel(opened);
        return;
      }
      state.channel = opened;
      state.consumerTag = consumerTag;
      state.resubscribeAttempt = 0;
    } catch (err) {
      this.#log.warn({ err: describeError(err), queue: state.queue }, 'messaging: subscribe failed');
      if (channel) await this.#closeChannel(channel);
      this.#scheduleResubscribe(state, connection);
    }
  }

  #onConsumerChannelClosed(state: ConsumerState, channel: BrokerChannel, connection: BrokerConnection): void {
    if (state.channel === channel) {
      state.channel = null;
      state.consumerTag = null;
    }
    // Connection loss is handled by the reconnect, which subscribes every consumer again.
    if (state.channel === null && this.#connection === connection) this.#scheduleResubscribe(state, connection);
  }

  /** The broker cancelled the consumer (e.g. its queue was deleted): declare the topology again and resubscribe. */
  #onServerCancel(state: ConsumerState, channel: BrokerChannel): void {
    this.#log.warn({ queue: state.queue }, 'messaging: consumer cancelled by the broker');
    void this.#closeChannel(channel);
  }

  #scheduleResubscribe(state: ConsumerState, connection: BrokerConnection): void {
    if (state.cancelled || this.#closing || state.resubscribeTimer || this.#connection !== connection) return;
    const delay = Math.min(this.#maxDelayMs, this.#initialDelayMs * 2 ** state.resubscribeAttempt);
    state.resubscribeAttempt++;
    state.resubscribeTimer = setTimeout(() => {
      state.resubscribeTimer = null;
      if (this.#connection !== connection || state.channel) return;
      this.#applyTopology(connection).then(
        () => this.#subscribe(state, connection),
        (err: unknown) => {
          this.#log.warn({ err: describeError(err), queue: state.queue }, 'messaging: re-applying topology failed');
          this.#scheduleResubscribe(state, connection);
        },
      );
    }, delay);
  }

  #onDelivery(state: ConsumerState, channel: BrokerChannel, delivery: Delivery): void {
    const context = toContext(state.queue, delivery);
    const run = () => this.#handle(state, channel, delivery, context);
    const key = state.serializeBy?.(context);
    const task = (key === undefined ? run() : state.serializer.run(key, run)).finally(() =>
      state.inFlight.delete(task),
    );
    state.inFlight.add(task);
  }

  async #handle(state: ConsumerState, channel: BrokerChannel, delivery: Delivery, context: MessageContext) {
    try {
      const run = async () => {
        await state.handler(context);
      };
      await (this.#hooks.onConsume ? this.#hooks.onConsume(context, run) : run());
      this.#settle(channel, () => channel.ack(delivery));
    } catch (err) {
      await this.#handleFailure(state, channel, delivery, context, err);
    }
  }

  async #handleFailure(
    state: ConsumerState,
    channel: BrokerChannel,
    delivery: Delivery,
    context: MessageContext,
    err: unknown,
  ): Promise<void> {
    const spec = findQueue(this.#topology, state.queue);
    const policy = spec ? retryPolicyOf(this.#topology, spec) : undefined;
    const kind = safeClassify(state.classify, err);
    const decision = decideFailure(state.queue, kind, context.retryCount, policy);
    const { errorClass, errorMessage } = describeError(err);
    const logFields = {
      queue: state.queue,
      messageId: context.messageId,
      routingKey: context.routingKey,
      retryCount: context.retryCount,
      errorClass,
      errorMessage,
    };
    const headers: Record<string, unknown> = {
      ...withoutBrokerDeathHeaders(context.headers),
      [HEADER.originalExchange]: context.exchange,
      [HEADER.originalRoutingKey]: context.routingKey,
      [HEADER.errorClass]: errorClass,
      [HEADER.errorMessage]: errorMessage,
    };
    let target: string;
    if (decision.action === 'retry') {
      target = decision.delayQueue;
      headers[HEADER.retryCount] = decision.nextRetryCount;
      this.#log.warn({ ...logFields, delayMs: decision.delayMs }, 'messaging: handler failed, retrying later');
    } else {
      target = spec?.deadLetterQueue ?? '';
      Object.assign(headers, {
        [HEADER.retryCount]: context.retryCount,
        [HEADER.originalQueue]: state.queue,
        [HEADER.deadLetterReason]: decision.reason,
        [HEADER.deadLetteredAt]: new Date().toISOString(),
      });
      this.#log.error({ ...logFields, reason: decision.reason }, 'messaging: handler failed, dead-lettered');
    }
    try {
      // Confirmed copy first, then ack: a crash in between duplicates the message, never loses it.
      await this.#publishConfirmed(
        '',
        target,
        delivery.content,
        copyProperties(delivery, headers),
        this.#publishTimeoutMs,
      );
      this.#settle(channel, () => channel.ack(delivery));
    } catch (publishErr) {
      this.#log.error(
        { ...logFields, err: describeError(publishErr), target },
        'messaging: could not move failed message, returning it to the queue',
      );
      // The broker's delivery limit ends this loop if the move keeps failing.
      this.#settle(channel, () => channel.nack(delivery, false, true));
    }
  }

  /** Acks and nacks only make sense on the channel that delivered; after a reconnect the broker redelivers. */
  #settle(channel: BrokerChannel, action: () => void): void {
    if (this.#closedChannels.has(channel)) return;
    try {
      action();
    } catch (err) {
      this.#log.warn({ err: describeError(err) }, 'messaging: ack on a closing channel ignored');
    }
  }

  async #cancel(state: ConsumerState): Promise<void> {
    if (state.cancelled) return;
    state.cancelled = true;
    if (state.resubscribeTimer) clearTimeout(state.resubscribeTimer);
    const { channel, consumerTag } = state;
    if (channel && consumerTag !== null && !this.#closedChannels.has(channel)) {
      await channel.cancel(consumerTag).catch(() => {});
    }
    await this.#drainHandlers(state, Date.now() + this.#closeTimeoutMs);
    if (channel) await this.#closeChannel(channel);
    state.channel = null;
    state.consumerTag = null;
    this.#consumers.delete(state);
  }

  async #drainHandlers(state: ConsumerState, deadline: number): Promise<void> {
    while (state.inFlight.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...state.inFlight]), sleep(deadline - Date.now())]);
    }
    if (state.inFlight.size > 0) {
      this.#log.warn(
        { queue: state.queue, running: state.inFlight.size },
        'messaging: handlers still running at close',
      );
    }
  }

  // ------------------------------------------------------------------ inspection and dead letters

  async #withChannel<T>(use: (channel: BrokerChannel) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.#publishTimeoutMs;
    let channel: BrokerChannel | undefined;
    while (!channel) {
      await this.#waitForPublisher(deadline);
      const connection = this.#connection;
      // The connection may be going away without having said so yet: wait for the next one.
      channel = connection ? await this.#openChannel(connection, 'operations').catch(() => undefined) : undefined;
      if (!channel) await sleep(20);
    }
    try {
      return await use(channel);
    } finally {
      // Closing returns every unacked message to its queue.
      await this.#closeChannel(channel);
    }
  }

  inspectQueue(queue: string): Promise<QueueStats> {
    return this.#withChannel(async (channel) => {
      const { messageCount, consumerCount } = await channel.checkQueue(queue);
      return { messageCount, consumerCount };
    });
  }

  /**
   * Safe peek: messages are fetched unacked and all go back to the queue when the channel closes, so a
   * crash mid-listing loses nothing. Each peek counts as a delivery (DLQs have no delivery limit).
   */
  listDeadLetters(deadLetterQueue: string, limit: number): Promise<DeadLetter[]> {
    return this.#oneAtATime(deadLetterQueue, () => this.#listDeadLetters(deadLetterQueue, limit));
  }

  #listDeadLetters(deadLetterQueue: string, limit: number): Promise<DeadLetter[]> {
    return this.#withChannel(async (channel) => {
      const letters: DeadLetter[] = [];
      while (letters.length < limit) {
        const message = await channel.get(deadLetterQueue, { noAck: false });
        if (!message) break;
        letters.push(toDeadLetter(message));
      }
      return letters;
    });
  }

  /**
   * Sends each message back to the queue it failed in (not to the exchange, which would also deliver it to
   * the other consumers that already handled it), with its retry count reset. Publish-confirm then ack: a
   * crash in between leaves a duplicate, never a loss. Messages whose original queue is unknown stay.
   */
  redrive(deadLetterQueue: string, options: { limit: number }): Promise<RedriveResult> {
    return this.#oneAtATime(
      deadLetterQueue,
      () =>
        this.#withChannel(async (channel) => {
          const result: RedriveResult = { redriven: 0, skipped: 0 };
          while (result.redriven + result.skipped < options.limit) {
            const message = await channel.get(deadLetterQueue, { noAck: false });
            if (!message) break;
            if (await this.#redriveOne(channel, deadLetterQueue, message, toDeadLetter(message))) result.redriven++;
            else result.skipped++;
          }
          return result;
        }),
      (result) => result.redriven,
    );
  }

  /**
   * Reads the queue's first `max` ready messages (all of them when it holds fewer) and keeps what `pick` returns
   * for each; nothing is taken: every message goes back when the peek's channel closes.
   */
  scanDeadLetters<T>(
    deadLetterQueue: string,
    options: { max: number; pick: (letter: DeadLetter) => T | undefined },
  ): Promise<DeadLetterScan<T>> {
    return this.#oneAtATime(deadLetterQueue, () =>
      this.#withChannel(async (channel) => {
        const items: T[] = [];
        const outcome = await peekQueue(
          channel,
          deadLetterQueue,
          options.max,
          (message) => {
            const item = options.pick(toDeadLetter(message));
            if (item !== undefined) items.push(item);
          },
          Date.now() + this.#publishTimeoutMs,
        );
        return { items, ...outcome };
      }),
    );
  }

  /**
   * Redrives, among the queue's first `max` ready messages, those `select` accepts (as `redrive` does: confirmed
   * publish to the original queue, then ack); every other message goes back untouched.
   */
  redriveSelected(
    deadLetterQueue: string,
    options: { max: number; select: (letter: DeadLetter) => boolean },
  ): Promise<RedriveResult> {
    return this.#oneAtATime(
      deadLetterQueue,
      () =>
        this.#withChannel(async (channel) => {
          const result: RedriveResult = { redriven: 0, skipped: 0 };
          await peekQueue(
            channel,
            deadLetterQueue,
            options.max,
            async (message) => {
              const letter = toDeadLetter(message);
              if (!options.select(letter)) return;
              if (await this.#redriveOne(channel, deadLetterQueue, message, letter)) result.redriven++;
              else result.skipped++;
            },
            // Each selected message may wait for its publish confirm.
            Date.now() + 2 * this.#publishTimeoutMs,
          );
          return result;
        }),
      (result) => result.redriven,
    );
  }

  /**
   * Sends one dead letter back to the queue it failed in, with its retry count reset, and acks it; false (and
   * left in the queue) when that queue is unknown.
   */
  async #redriveOne(channel: BrokerChannel, deadLetterQueue: string, message: Delivery, letter: DeadLetter) {
    const target = letter.originalQueue;
    if (target === undefined || target === deadLetterQueue) return false;
    const headers = withoutBrokerDeathHeaders(message.properties.headers ?? {});
    for (const name of [HEADER.errorClass, HEADER.errorMessage, HEADER.deadLetterReason, HEADER.deadLetteredAt]) {
      delete headers[name];
    }
    headers[HEADER.retryCount] = 0;
    headers[HEADER.originalQueue] = target;
    if (letter.originalRoutingKey !== undefined) headers[HEADER.originalRoutingKey] = letter.originalRoutingKey;
    if (letter.originalExchange !== undefined) headers[HEADER.originalExchange] = letter.originalExchange;
    await this.#publishConfirmed('', target, message.content, copyProperties(message, headers), this.#publishTimeoutMs);
    channel.ack(message);
    return true;
  }

  /**
   * A peek holds the messages it read until its channel closes, and another peek or redrive running meanwhile
   * would not see them (a listing missing letters, a redrive answering "not found"): this client runs its
   * dead-letter operations on a queue one after the other. Other processes (replicas, cmdr) can still overlap.
   * The broker puts a closed channel's unacked messages back asynchronously, so a turn ends only once the queue
   * holds again what it held before, less what the turn took (`taken`), or after RETURN_WAIT_MS: without that
   * wait the next turn could count an emptied queue and read nothing.
   */
  #oneAtATime<T>(queue: string, run: () => Promise<T>, taken: (result: T) => number = () => 0): Promise<T> {
    const previous = this.#deadLetterTurns.get(queue) ?? Promise.resolve();
    const go = async () => {
      const before = await this.inspectQueue(queue).then(
        (stats) => stats.messageCount,
        () => undefined,
      );
      const result = await run();
      if (before !== undefined) await this.#untilReturned(queue, before - taken(result));
      return result;
    };
    const turn = previous.then(go, go);
    const settled = turn.then(
      () => undefined,
      () => undefined,
    );
    this.#deadLetterTurns.set(queue, settled);
    void settled.then(() => {
      if (this.#deadLetterTurns.get(queue) === settled) this.#deadLetterTurns.delete(queue);
    });
    return turn;
  }

  /** Waits (bounded) until `queue` holds at least `ready` ready messages again; a failed check ends the wait. */
  async #untilReturned(queue: string, ready: number): Promise<void> {
    if (ready <= 0) return;
    const deadline = Date.now() + RETURN_WAIT_MS;
    try {
      while ((await this.inspectQueue(queue)).messageCount < ready && Date.now() < deadline) await sleep(20);
    } catch {
      // The broker went away: the next operation reports it.
    }
  }

  // ------------------------------------------------------------------ shutdown

  async close(): Promise<void> {
    if (this.#closing) return;
    const deadline = Date.now() + this.#closeTimeoutMs;
    // Consumers first: their failure handling may still publish to delay queues or the DLQ.
    await Promise.all([...this.#consumers].map((state) => this.#cancel(state)));
    this.#closing = true;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    this.#notifyReady();
    while (this.#window.inUse > 0 && this.#connection && Date.now() < deadline) await sleep(10);
    const connection = this.#connection;
    this.#connection = null;
    this.#publisher = null;
    if (connection) await connection.close().catch(() => {});
  }
}

function safeClassify(classify: ErrorClassifier, err: unknown) {
  try {
    return classify(err);
  } catch {
    return 'transient';
  }
}

function toContext(queue: string, delivery: Delivery): MessageContext {
  const headers = delivery.properties.headers ?? {};
  const originalRoutingKey = headers[HEADER.originalRoutingKey];
  const originalExchange = headers[HEADER.originalExchange];
  return {
    body: delivery.content,
    headers,
    messageId: delivery.properties.messageId,
    routingKey: typeof originalRoutingKey === 'string' ? originalRoutingKey : delivery.fields.routingKey,
    exchange: typeof originalExchange === 'string' ? originalExchange : delivery.fields.exchange,
    queue,
    redelivered: delivery.fields.redelivered,
    retryCount: readRetryCount(headers),
    contentType: delivery.properties.contentType,
  };
}

function copyProperties(delivery: Delivery, headers: Record<string, unknown>): PublishProperties {
  const { contentType, correlationId, type } = delivery.properties;
  return {
    messageId: delivery.properties.messageId ?? randomUUID(),
    headers,
    persistent: true,
    mandatory: true,
    ...(contentType !== undefined && { contentType }),
    ...(correlationId !== undefined && { correlationId }),
    ...(type !== undefined && { type }),
  };
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

/** Reads the client's headers, falling back to the broker's x-death record (delivery-limit dead-lettering). */
function toDeadLetter(message: Delivery): DeadLetter {
  const headers = message.properties.headers ?? {};
  const deaths = Array.isArray(headers['x-death']) ? (headers['x-death'] as Record<string, unknown>[]) : [];
  const firstDeath = deaths.at(-1);
  const deathKeys = firstDeath?.['routing-keys'];
  return {
    messageId: message.properties.messageId,
    body: message.content,
    headers,
    originalExchange: text(headers[HEADER.originalExchange]) ?? text(firstDeath?.exchange),
    originalRoutingKey:
      text(headers[HEADER.originalRoutingKey]) ?? (Array.isArray(deathKeys) ? text(deathKeys[0]) : undefined),
    originalQueue: text(headers[HEADER.originalQueue]) ?? text(headers['x-first-death-queue']),
    errorClass: text(headers[HEADER.errorClass]),
    errorMessage: text(headers[HEADER.errorMessage]),
    reason: text(headers[HEADER.deadLetterReason]) ?? text(headers['x-first-death-reason']),
    retryCount: readRetryCount(headers),
  };
}
