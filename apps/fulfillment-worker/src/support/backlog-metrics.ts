import type { Db } from '@single/db';
import { type Registry, scrapeGauge, scrapeReader } from '@single/http';
import type { Messaging } from '@single/messaging';
import { QUEUES } from '../topology.ts';

/** The worker's outboxes: rows still owed to SMTP, Shopify or Kafka. */
const OUTBOXES = ['email', 'shopify_fulfillment', 'sales'] as const;

/**
 * Gauges read at scrape time (cached a few seconds, with a deadline: see @single/http scrapeReader):
 * - `fulfillment_outbox_backlog` / `_oldest_age_seconds{outbox}`: emails and fulfilments pending or sending
 *   (retries waiting for their next attempt included), sales events not yet published to Kafka;
 * - `fulfillment_queue_messages{queue}`: ready messages in each work queue and in the dead-letter queue,
 *   from a passive declare (`checkQueue`), so no management plugin or credentials of its own are needed.
 *   Messages a consumer holds unacked are not counted (RabbitMQ does not report them to a declare).
 */
export function registerBacklogMetrics(registry: Registry, db: Db, messaging: Messaging): void {
  const outboxes = scrapeReader(() => readOutboxes(db), { source: 'postgres', registry });
  scrapeGauge({
    name: 'fulfillment_outbox_backlog',
    help: 'Rows waiting to be sent (emails, Shopify fulfilments) or published to Kafka (sales), by outbox',
    labelNames: ['outbox'],
    registry,
    read: outboxes,
    values: (rows) => rows.map((r) => ({ labels: { outbox: r.outbox }, value: r.rows })),
  });
  scrapeGauge({
    name: 'fulfillment_outbox_oldest_age_seconds',
    help: 'Age of the oldest row waiting in each outbox (0 when none waits)',
    labelNames: ['outbox'],
    registry,
    read: outboxes,
    values: (rows) => rows.map((r) => ({ labels: { outbox: r.outbox }, value: r.oldestSeconds })),
  });
  const queueNames = Object.values(QUEUES);
  const queues = scrapeReader(
    async () => Promise.all(queueNames.map(async (queue) => ({ queue, ...(await messaging.inspectQueue(queue)) }))),
    { source: 'rabbitmq', registry },
  );
  scrapeGauge({
    name: 'fulfillment_queue_messages',
    help: 'Ready messages in each of the worker queues; fulfillment.dlq holds the dead letters',
    labelNames: ['queue'],
    registry,
    read: queues,
    values: (stats) => stats.map((q) => ({ labels: { queue: q.queue }, value: q.messageCount })),
  });
  scrapeGauge({
    name: 'fulfillment_dead_letters',
    help: 'Messages in the dead-letter queue (fulfillment.dlq), waiting for `cmdr dlq redrive`',
    labelNames: [],
    registry,
    read: queues,
    values: (stats) =>
      stats.filter((q) => q.queue === QUEUES.deadLetter).map((q) => ({ labels: {}, value: q.messageCount })),
  });
}

/** Rows owed per outbox and the age of the oldest (0 when none waits), from this process's clock. */
async function readOutboxes(db: Db) {
  const stats = { _count: { _all: true }, _min: { createdAt: true } } as const;
  const [email, fulfilment, sales] = await Promise.all([
    db.emailMessage.aggregate({ where: { status: { in: ['pending', 'sending'] } }, ...stats }),
    db.fulfillment.aggregate({ where: { status: { in: ['pending', 'sending'] } }, ...stats }),
    db.salesOutbox.aggregate({ where: { publishedAt: null }, ...stats }),
  ]);
  const at = Date.now();
  const backlog = (outbox: (typeof OUTBOXES)[number], a: typeof email) => ({
    outbox,
    rows: a._count._all,
    oldestSeconds: a._min.createdAt ? Math.max(0, (at - a._min.createdAt.getTime()) / 1000) : 0,
  });
  return [backlog('email', email), backlog('shopify_fulfillment', fulfilment), backlog('sales', sales)];
}
