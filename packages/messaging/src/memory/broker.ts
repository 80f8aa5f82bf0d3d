import { EventEmitter } from 'node:events';
import type { BrokerChannel, BrokerConnection, Delivery, MessageProperties, PublishProperties } from '../driver.ts';
import { CHANNEL_CLOSED_MESSAGE } from '../driver.ts';
import { topicMatches } from './topic.ts';

/**
 * An in-process stand-in for RabbitMQ, for the zero-setup demo. It implements the driver slice the
 * messaging core uses with RabbitMQ's semantics: exchanges (topic, direct, fanout) and the default
 * exchange, publisher confirms with basic.return for unroutable mandatory messages, per-consumer prefetch,
 * unacked deliveries returned (redelivered) when their channel closes, quorum-queue delivery limits,
 * per-queue message TTL and dead-lettering, argument-equivalence checks, and channel errors (404/406) that
 * close the channel. State lives as long as the broker object, like durable entities across a restart.
 */
export class MemoryBroker {
  readonly exchanges = new Map<string, MemoryExchange>();
  readonly queues = new Map<string, MemoryQueue>();
  #connections = new Set<MemoryConnection>();
  #running = true;

  connect(name = 'memory'): Promise<BrokerConnection> {
    if (!this.#running) return Promise.reject(new Error('connect ECONNREFUSED (in-memory broker is stopped)'));
    const connection = new MemoryConnection(this, name);
    this.#connections.add(connection);
    return Promise.resolve(connection);
  }

  /** Drops every connection (like a broker shutdown) and refuses new ones until start(). */
  stop(): void {
    this.#running = false;
    for (const connection of [...this.#connections]) connection.drop('CONNECTION_FORCED - broker shutdown');
  }

  start(): void {
    this.#running = true;
  }

  async restart(downMs = 50): Promise<void> {
    this.stop();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    this.start();
  }

  /** Forcibly closes the named connections, as `DELETE /api/connections/<name>` does on RabbitMQ. */
  killConnection(name: string): number {
    const victims = [...this.#connections].filter((c) => c.name === name);
    for (const connection of victims) connection.drop('CONNECTION_FORCED - closed via management plugin');
    return victims.length;
  }

  forget(connection: MemoryConnection): void {
    this.#connections.delete(connection);
  }

  deleteExchange(name: string): void {
    this.exchanges.delete(name);
  }

  deleteQueue(name: string): void {
    const queue = this.queues.get(name);
    if (!queue) return;
    this.queues.delete(name);
    for (const exchange of this.exchanges.values()) {
      exchange.bindings = exchange.bindings.filter((b) => b.queue !== name);
    }
    for (const message of queue.messages) clearTimeout(message.expiry);
    queue.messages = [];
    for (const consumer of [...queue.consumers]) {
      consumer.channel.forgetConsumer(consumer.tag);
      setImmediate(() => consumer.onMessage(null));
    }
    queue.consumers = [];
  }

  route(exchangeName: string, routingKey: string): MemoryQueue[] {
    if (exchangeName === '') {
      const queue = this.queues.get(routingKey);
      return queue ? [queue] : [];
    }
    const exchange = this.exchanges.get(exchangeName);
    if (!exchange) return [];
    const names = new Set<string>();
    for (const binding of exchange.bindings) {
      const matches =
        exchange.type === 'fanout' ||
        (exchange.type === 'direct' && binding.pattern === routingKey) ||
        (exchange.type === 'topic' && topicMatches(binding.pattern, routingKey));
      if (matches) names.add(binding.queue);
    }
    return [...names].map((n) => this.queues.get(n)).filter((q): q is MemoryQueue => q !== undefined);
  }

  /** Stores a copy of the message in each queue; returns how many queues took it. */
  deliverTo(queues: MemoryQueue[], message: Omit<StoredMessage, 'redelivered' | 'deliveryCount'>): number {
    for (const queue of queues) {
      queue.enqueue({
        ...message,
        properties: { ...message.properties, headers: { ...message.properties.headers } },
        redelivered: false,
        deliveryCount: 0,
      });
    }
    return queues.length;
  }
}

interface MemoryExchange {
  type: string;
  bindings: { queue: string; pattern: string }[];
}

interface StoredMessage {
  content: Buffer;
  exchange: string;
  routingKey: string;
  properties: MessageProperties & { headers: Record<string, unknown> };
  redelivered: boolean;
  deliveryCount: number;
  expiry?: NodeJS.Timeout;
}

interface MemoryConsumer {
  tag: string;
  queue: MemoryQueue;
  channel: MemoryChannel;
  prefetch: number;
  unacked: number;
  onMessage: (message: Delivery | null) => void;
}

class MemoryQueue {
  readonly broker: MemoryBroker;
  readonly name: string;
  readonly args: Record<string, unknown>;
  messages: StoredMessage[] = [];
  consumers: MemoryConsumer[] = [];
  #next = 0;
  #dispatchScheduled = false;

  constructor(broker: MemoryBroker, name: string, args: Record<string, unknown>) {
    this.broker = broker;
    this.name = name;
    this.args = args;
  }

  enqueue(message: StoredMessage, front = false): void {
    if (front) this.messages.unshift(message);
    else this.messages.push(message);
    const ttl = this.args['x-message-ttl'];
    if (typeof ttl === 'number' && message.expiry === undefined) {
      message.expiry = setTimeout(() => {
        const index = this.messages.indexOf(message);
        if (index === -1) return;
        this.messages.splice(index, 1);
        this.deadLetter(message, 'expired');
      }, ttl);
    }
    this.scheduleDispatch();
  }

  /** A delivery came back unacked: redeliver first, unless the quorum delivery limit is reached. */
  giveBack(message: StoredMessage): void {
    message.redelivered = true;
    message.deliveryCount++;
    const limit = this.args['x-delivery-limit'];
    if (typeof limit === 'number' && message.deliveryCount >= limit) this.deadLetter(message, 'delivery_limit');
    else this.enqueue(message, true);
  }

  deadLetter(message: StoredMessage, reason: string): void {
    clearTimeout(message.expiry);
    const exchange = this.args['x-dead-letter-exchange'];
    if (typeof exchange !== 'string') return;
    const routingKey = (this.args['x-dead-letter-routing-key'] as string | undefined) ?? message.routingKey;
    const headers = { ...message.properties.headers };
    const death = {
      queue: this.name,
      reason,
      count: 1,
      exchange: message.exchange,
      'routing-keys': [message.routingKey],
    };
    const previous = Array.isArray(headers['x-death']) ? (headers['x-death'] as unknown[]) : [];
    headers['x-death'] = [death, ...previous];
    if (headers['x-first-death-queue'] === undefined) {
      Object.assign(headers, {
        'x-first-death-queue': this.name,
        'x-first-death-reason': reason,
        'x-first-death-exchange': message.exchange,
      });
    }
    this.broker.deliverTo(this.broker.route(exchange, routingKey), {
      content: message.content,
      exchange,
      routingKey,
      properties: { ...message.properties, headers },
    });
  }

  scheduleDispatch(): void {
    if (this.#dispatchScheduled) return;
    this.#dispatchScheduled = true;
    setImmediate(() => {
      this.#dispatchScheduled = false;
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.messages.length > 0) {
      const consumer = this.#nextConsumerWithCapacity();
      if (!consumer) return;
      const message = this.messages.shift()!;
      clearTimeout(message.expiry);
      message.expiry = undefined;
      consumer.channel.deliver(consumer, message);
    }
  }

  #nextConsumerWithCapacity(): MemoryConsumer | undefined {
    for (let i = 0; i < this.consumers.length; i++) {
      const consumer = this.consumers[(this.#next + i) % this.consumers.length]!;
      if (consumer.prefetch === 0 || consumer.unacked < consumer.prefetch) {
        this.#next = (this.#next + i + 1) % this.consumers.length;
        return consumer;
      }
    }
    return undefined;
  }
}

class MemoryConnection extends EventEmitter implements BrokerConnection {
  readonly broker: MemoryBroker;
  readonly name: string;
  #channels = new Set<MemoryChannel>();
  #open = true;

  constructor(broker: MemoryBroker, name: string) {
    super();
    this.broker = broker;
    this.name = name;
  }

  createChannel(): Promise<BrokerChannel> {
    return this.#create(false);
  }

  createConfirmChannel(): Promise<BrokerChannel> {
    return this.#create(true);
  }

  #create(confirm: boolean): Promise<BrokerChannel> {
    if (!this.#open) return Promise.reject(new Error('Connection closed'));
    const channel = new MemoryChannel(this, confirm);
    this.#channels.add(channel);
    return Promise.resolve(channel);
  }

  releaseChannel(channel: MemoryChannel): void {
    this.#channels.delete(channel);
  }

  close(): Promise<void> {
    this.#shutdown(undefined);
    return Promise.resolve();
  }

  drop(reason: string): void {
    const err = Object.assign(new Error(`Connection closed: 320 (CONNECTION-FORCED) with message "${reason}"`), {
      code: 320,
    });
    this.#shutdown(err);
  }

  #shutdown(err: Error | undefined): void {
    if (!this.#open) return;
    this.#open = false;
    this.broker.forget(this);
    for (const channel of [...this.#channels]) channel.terminate();
    setImmediate(() => {
      if (err) this.emit('error', err);
      this.emit('close', err);
    });
  }
}

let nextConsumerId = 1;

class MemoryChannel extends EventEmitter implements BrokerChannel {
  readonly #connection: MemoryConnection;
  readonly #confirm: boolean;
  #broker: MemoryBroker;
  #open = true;
  #prefetch = 0;
  #nextTag = 1;
  #consumers = new Map<string, MemoryConsumer>();
  #unacked = new Map<number, { queue: MemoryQueue; message: StoredMessage; consumer?: MemoryConsumer }>();
  #pendingConfirms = new Set<(err: unknown) => void>();

  constructor(connection: MemoryConnection, confirm: boolean) {
    super();
    this.#connection = connection;
    this.#broker = connection.broker;
    this.#confirm = confirm;
  }

  // ---------------------------------------------------------------- topology
  assertExchange(name: string, type: string, _options: { durable: boolean }): Promise<unknown> {
    return this.#rpc(() => {
      const existing = this.#broker.exchanges.get(name);
      if (existing && existing.type !== type) {
        throw this.#fail(406, 'PRECONDITION_FAILED', `inequivalent arg 'type' for exchange '${name}'`);
      }
      if (!existing) this.#broker.exchanges.set(name, { type, bindings: [] });
      return { exchange: name };
    });
  }

  assertQueue(name: string, options: { durable: boolean; arguments: Record<string, unknown> }): Promise<unknown> {
    return this.#rpc(() => {
      const existing = this.#broker.queues.get(name);
      if (existing && !sameArguments(existing.args, options.arguments)) {
        throw this.#fail(406, 'PRECONDITION_FAILED', `inequivalent arguments for queue '${name}'`);
      }
      const queue = existing ?? new MemoryQueue(this.#broker, name, { ...options.arguments });
      this.#broker.queues.set(name, queue);
      return { queue: name, messageCount: queue.messages.length, consumerCount: queue.consumers.length };
    });
  }

  bindQueue(queue: string, exchange: string, pattern: string): Promise<unknown> {
    return this.#rpc(() => {
      const target = this.#broker.exchanges.get(exchange);
      if (!target) throw this.#fail(404, 'NOT_FOUND', `no exchange '${exchange}'`);
      if (!this.#broker.queues.has(queue)) throw this.#fail(404, 'NOT_FOUND', `no queue '${queue}'`);
      if (!target.bindings.some((b) => b.queue === queue && b.pattern === pattern)) {
        target.bindings.push({ queue, pattern });
      }
      return {};
    });
  }

  checkQueue(name: string): Promise<{ messageCount: number; consumerCount: number }> {
    return this.#rpc(() => {
      const queue = this.#queue(name);
      return { messageCount: queue.messages.length, consumerCount: queue.consumers.length };
    });
  }

  // ---------------------------------------------------------------- consuming
  prefetch(count: number): Promise<unknown> {
    return this.#rpc(() => {
      this.#prefetch = count;
      return {};
    });
  }

  consume(
    queueName: string,
    onMessage: (message: Delivery | null) => void,
    options: { noAck: boolean },
  ): Promise<{ consumerTag: string }> {
    return this.#rpc(() => {
      if (options.noAck) throw new Error('the in-memory broker only supports acknowledged consumers');
      const queue = this.#queue(queueName);
      const consumer: MemoryConsumer = {
        tag: `amq.ctag-memory-${nextConsumerId++}`,
        queue,
        channel: this,
        prefetch: this.#prefetch,
        unacked: 0,
        onMessage,
      };
      this.#consumers.set(consumer.tag, consumer);
      queue.consumers.push(consumer);
      queue.scheduleDispatch();
      return { consumerTag: consumer.tag };
    });
  }

  cancel(consumerTag: string): Promise<unknown> {
    return this.#rpc(() => {
      const consumer = this.#consumers.get(consumerTag);
      if (consumer) this.#detach(consumer);
      return { consumerTag };
    });
  }

  forgetConsumer(tag: string): void {
    this.#consumers.delete(tag);
  }

  deliver(consumer: MemoryConsumer, message: StoredMessage): void {
    const tag = this.#nextTag++;
    this.#unacked.set(tag, { queue: consumer.queue, message, consumer });
    consumer.unacked++;
    const delivery = toDelivery(tag, message);
    setImmediate(() => {
      if (this.#open) consumer.onMessage(delivery);
    });
  }

  get(queueName: string, options: { noAck: boolean }): Promise<Delivery | false> {
    return this.#rpc(() => {
      if (options.noAck) throw new Error('the in-memory broker only supports acknowledged gets');
      const queue = this.#queue(queueName);
      const message = queue.messages.shift();
      if (!message) return false;
      clearTimeout(message.expiry);
      message.expiry = undefined;
      const tag = this.#nextTag++;
      this.#unacked.set(tag, { queue, message });
      return toDelivery(tag, message);
    });
  }

  ack(delivery: Delivery): void {
    this.#settle(delivery);
  }

  nack(delivery: Delivery, _allUpTo?: boolean, requeue = true): void {
    const entry = this.#settle(delivery);
    if (!entry) return;
    if (requeue) entry.queue.giveBack(entry.message);
    else entry.queue.deadLetter(entry.message, 'rejected');
  }

  #settle(delivery: Delivery) {
    this.#assertOpen();
    const tag = delivery.fields.deliveryTag;
    const entry = this.#unacked.get(tag);
    if (!entry) {
      // RabbitMQ closes the channel on an unknown delivery tag; so do we (asynchronously, like the broker).
      const err = this.#fail(406, 'PRECONDITION_FAILED', `unknown delivery tag ${tag}`);
      setImmediate(() => this.#closeWithError(err));
      return undefined;
    }
    this.#unacked.delete(tag);
    if (entry.consumer) {
      entry.consumer.unacked--;
      entry.queue.scheduleDispatch();
    }
    return entry;
  }

  // ---------------------------------------------------------------- publishing
  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: PublishProperties,
    callback?: (err: unknown) => void,
  ): boolean {
    this.#assertOpen();
    if (callback && this.#confirm) this.#pendingConfirms.add(callback);
    if (exchange !== '' && !this.#broker.exchanges.has(exchange)) {
      const err = this.#fail(404, 'NOT_FOUND', `no exchange '${exchange}'`);
      setImmediate(() => this.#closeWithError(err));
      return true;
    }
    const { mandatory: _mandatory, persistent: _persistent, ...properties } = options;
    const stored = {
      content: Buffer.from(content),
      exchange,
      routingKey,
      properties: { ...properties, headers: { ...options.headers } },
    };
    const taken = this.#broker.deliverTo(this.#broker.route(exchange, routingKey), stored);
    setImmediate(() => {
      if (!this.#open) return;
      // basic.return precedes the confirm, as on RabbitMQ.
      if (taken === 0 && options.mandatory)
        this.emit('return', toDelivery(0, { ...stored, redelivered: false, deliveryCount: 0 }));
      if (callback && this.#pendingConfirms.delete(callback)) callback(null);
    });
    return true;
  }

  // ---------------------------------------------------------------- lifecycle
  close(): Promise<void> {
    if (!this.#open) return Promise.reject(new Error('Channel closed'));
    this.terminate();
    return Promise.resolve();
  }

  /** Closes without a reply: unacked deliveries go back to their queues, pending confirms fail. */
  terminate(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#connection.releaseChannel(this);
    for (const consumer of [...this.#consumers.values()]) this.#detach(consumer);
    const unacked = [...this.#unacked.values()].reverse();
    this.#unacked.clear();
    for (const { queue, message } of unacked) {
      if (this.#broker.queues.get(queue.name) === queue) queue.giveBack(message);
    }
    const confirms = [...this.#pendingConfirms];
    this.#pendingConfirms.clear();
    for (const callback of confirms) callback(new Error(CHANNEL_CLOSED_MESSAGE));
    setImmediate(() => this.emit('close'));
  }

  #detach(consumer: MemoryConsumer): void {
    this.#consumers.delete(consumer.tag);
    consumer.queue.consumers = consumer.queue.consumers.filter((c) => c !== consumer);
  }

  #closeWithError(err: Error): void {
    if (!this.#open) return;
    this.emit('error', err);
    this.terminate();
  }

  #queue(name: string): MemoryQueue {
    const queue = this.#broker.queues.get(name);
    if (!queue) throw this.#fail(404, 'NOT_FOUND', `no queue '${name}'`);
    return queue;
  }

  #assertOpen(): void {
    if (!this.#open) throw new Error('Channel closed');
  }

  #fail(code: number, text: string, detail: string): Error {
    return Object.assign(
      new Error(`Channel closed by server: ${code} (${text.replace('_', '-')}) with message "${text} - ${detail}"`),
      {
        code,
      },
    );
  }

  /** Runs an operation like an RPC: async reply; a channel error closes the channel and rejects. */
  #rpc<T>(operation: () => T): Promise<T> {
    if (!this.#open) return Promise.reject(new Error('Channel closed'));
    return new Promise((resolve, reject) => {
      setImmediate(() => {
        if (!this.#open) return reject(new Error('Channel ended, no reply will be forthcoming'));
        try {
          resolve(operation());
        } catch (err) {
          if (typeof (err as { code?: unknown }).code === 'number') this.#closeWithError(err as Error);
          reject(err);
        }
      });
    });
  }
}

function toDelivery(tag: number, message: StoredMessage): Delivery {
  return {
    content: message.content,
    fields: {
      deliveryTag: tag,
      redelivered: message.redelivered,
      exchange: message.exchange,
      routingKey: message.routingKey,
    },
    properties: { ...message.properties, headers: { ...message.properties.headers } },
  };
}

function sameArguments(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if (a[key] !== b[key]) return false;
  return true;
}
