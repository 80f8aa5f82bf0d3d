import { EVENTS_EXCHANGE } from '@single/contracts';
import { createAmqpMessaging, type Messaging, PermanentError } from '@single/messaging';

// A worker's queue and its dead-letter queue on a real RabbitMQ, for tests of the dead-letter routes and of the
// dashboard's page over them (the dashboard reaches the broker only through these helpers).

export const WORK_QUEUE = 'work';
export const WORK_DLQ = 'work.dlq';

/** `work` (bound to `shopify.#`) dead-lettering to `work.dlq`, on a RabbitMQ vhost's URL; connected. */
export async function connectWorkQueue(url: string, connectionName: string): Promise<Messaging> {
  const messaging = createAmqpMessaging({
    url,
    connectionName,
    topology: {
      exchanges: [{ name: EVENTS_EXCHANGE, type: 'topic' }],
      queues: [
        {
          name: WORK_QUEUE,
          bindings: [{ exchange: EVENTS_EXCHANGE, routingKey: 'shopify.#' }],
          deadLetterQueue: WORK_DLQ,
        },
        { name: WORK_DLQ },
      ],
    },
  });
  await messaging.waitUntilConnected(10_000);
  return messaging;
}

/** A worker on `work` that dead-letters every message while `failing()` says so, and records the ids it handled. */
export async function consumeWork(messaging: Messaging, failing: () => boolean, handled: string[]): Promise<void> {
  await messaging.consume(WORK_QUEUE, (m) => {
    if (failing()) throw new PermanentError('handler bug');
    handled.push(m.messageId ?? '');
  });
}

/** An `orders/paid` envelope as the dispatcher publishes it (the shop decides whose letter it is), id = webhook id. */
export function publishOrderPaid(messaging: Messaging, shopDomain: string, webhookId: string): Promise<void> {
  return messaging.publish(
    EVENTS_EXCHANGE,
    'shopify.orders.paid',
    Buffer.from(JSON.stringify({ shopDomain, topic: 'orders/paid', webhookId })),
    { messageId: webhookId },
  );
}

/** Resolves once `work.dlq` holds `count` ready messages. */
export async function untilDeadLetters(messaging: Messaging, count: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await messaging.inspectQueue(WORK_DLQ)).messageCount !== count) {
    if (Date.now() > deadline) throw new Error(`${WORK_DLQ} never held ${count} messages`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
