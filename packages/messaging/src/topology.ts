import { TopologyError } from './errors.ts';

/**
 * Topology is data: the app describes exchanges, queues and retry policies once, and the client declares
 * all of it (plus the derived delay queues) on every (re)connect. Everything is durable and every queue is
 * a quorum queue.
 */
export interface ExchangeSpec {
  name: string;
  type: 'topic' | 'direct' | 'fanout';
}

export interface BindingSpec {
  exchange: string;
  /** `<source>.<entity>.<event>`, e.g. `shopify.orders.paid`; topic wildcards allowed. */
  routingKey: string;
}

/** A named retry ladder: attempt n+1 waits delaysMs[n]; after the last step the message is dead-lettered. */
export interface RetryPolicy {
  delaysMs: readonly number[];
}

export interface QueueSpec {
  /** `<consumer>.<entity>.<action>` for work queues, `<consumer>.dlq` for dead-letter queues. */
  name: string;
  bindings?: readonly BindingSpec[];
  /** Name of an entry in `Topology.retryPolicies`; without it transient failures go to the DLQ at once. */
  retryPolicy?: string;
  /** Queue (declared in the same topology) that receives failed messages. Required to consume the queue. */
  deadLetterQueue?: string;
  /**
   * Broker-side guard against poison messages that crash the consumer before it can decide (the delivery
   * is never acked): after this many deliveries the broker dead-letters the message. Default 20.
   */
  deliveryLimit?: number;
}

export interface Topology {
  exchanges: readonly ExchangeSpec[];
  queues: readonly QueueSpec[];
  retryPolicies?: Readonly<Record<string, RetryPolicy>>;
}

export interface QueueDeclaration {
  name: string;
  arguments: Record<string, unknown>;
}

export interface TopologyPlan {
  exchanges: readonly ExchangeSpec[];
  queues: readonly QueueDeclaration[];
  bindings: readonly { queue: string; exchange: string; routingKey: string }[];
}

export const DEFAULT_DELIVERY_LIMIT = 20;

/** `5s`, `30s`, `5m`, `30m`, `250ms`: the delay is in the queue name so a changed ladder declares new queues. */
export function formatDelay(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

export function delayQueueName(queue: string, delayMs: number): string {
  return `${queue}.retry.${formatDelay(delayMs)}`;
}

export function findQueue(topology: Topology, name: string): QueueSpec | undefined {
  return topology.queues.find((q) => q.name === name);
}

export function retryPolicyOf(topology: Topology, queue: QueueSpec): RetryPolicy | undefined {
  return queue.retryPolicy === undefined ? undefined : topology.retryPolicies?.[queue.retryPolicy];
}

/** Checks the description and expands it into what gets declared, delay queues included. */
export function planTopology(topology: Topology): TopologyPlan {
  const problems: string[] = [];
  const exchangeNames = new Set<string>();
  for (const exchange of topology.exchanges) {
    if (!exchange.name) problems.push('an exchange has an empty name (the default exchange is implicit)');
    if (exchangeNames.has(exchange.name)) problems.push(`exchange "${exchange.name}" is declared twice`);
    exchangeNames.add(exchange.name);
  }
  const queueNames = new Set(topology.queues.map((q) => q.name));
  if (queueNames.size !== topology.queues.length) problems.push('a queue is declared twice');

  const queues: QueueDeclaration[] = [];
  const bindings: { queue: string; exchange: string; routingKey: string }[] = [];
  const delayQueues = new Map<string, QueueDeclaration>();
  for (const queue of topology.queues) {
    const args: Record<string, unknown> = { 'x-queue-type': 'quorum' };
    if (queue.deadLetterQueue !== undefined) {
      if (!queueNames.has(queue.deadLetterQueue)) {
        problems.push(`queue "${queue.name}" names dead-letter queue "${queue.deadLetterQueue}" which is not declared`);
      }
      Object.assign(args, deadLetterTo(queue.deadLetterQueue), {
        'x-delivery-limit': queue.deliveryLimit ?? DEFAULT_DELIVERY_LIMIT,
      });
    }
    queues.push({ name: queue.name, arguments: args });

    for (const binding of queue.bindings ?? []) {
      if (!exchangeNames.has(binding.exchange)) {
        problems.push(`queue "${queue.name}" is bound to undeclared exchange "${binding.exchange}"`);
      }
      bindings.push({ queue: queue.name, exchange: binding.exchange, routingKey: binding.routingKey });
    }

    if (queue.retryPolicy !== undefined) {
      const policy = topology.retryPolicies?.[queue.retryPolicy];
      if (!policy) {
        problems.push(`queue "${queue.name}" uses unknown retry policy "${queue.retryPolicy}"`);
        continue;
      }
      if (queue.deadLetterQueue === undefined) {
        problems.push(`queue "${queue.name}" has a retry policy but no dead-letter queue to end the ladder`);
      }
      for (const delayMs of policy.delaysMs) {
        if (!Number.isInteger(delayMs) || delayMs <= 0) {
          problems.push(`retry policy "${queue.retryPolicy}" has an invalid delay ${delayMs}`);
          continue;
        }
        // Expired messages go back to the work queue through the default exchange.
        const name = delayQueueName(queue.name, delayMs);
        delayQueues.set(name, {
          name,
          arguments: { 'x-queue-type': 'quorum', 'x-message-ttl': delayMs, ...deadLetterTo(queue.name) },
        });
      }
    }
  }
  for (const delayQueue of delayQueues.values()) {
    if (queueNames.has(delayQueue.name)) problems.push(`queue "${delayQueue.name}" clashes with a delay queue`);
    queues.push(delayQueue);
  }
  if (problems.length > 0) throw new TopologyError(`invalid topology: ${problems.join('; ')}`);
  return { exchanges: topology.exchanges, queues, bindings };
}

/** At-least-once dead-lettering (quorum queues) so a message moving between queues is never dropped. */
function deadLetterTo(queue: string): Record<string, unknown> {
  return {
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': queue,
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
  };
}
