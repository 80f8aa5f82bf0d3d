import { type Registry, scrapeGauge, scrapeReader } from '@single/http';
import type { Messaging } from '@single/messaging';
import type { Pool } from 'pg';
import { QUEUES } from '../topology.ts';

/** The worker's outboxes: rows still owed to SMTP, Shopify or Kafka. */
const OUTBOXES = ['email', 'shopify_fulfillment', 'sales'] as const;

interface OutboxBacklog {
  outbox: string;
  rows: number;
  oldestSeconds: number;
}

/**
 * Gauges read at scrape time (cached a few seconds, with a deadline: see @single/http scrapeReader):
 * - `fulfillment_outbox_backlog` / `_oldest_age_seconds{outbox}`: emails and fulfilments pending or sending
 *   (retries waiting for their next attempt included), sales events not yet published to Kafka;
 * - `fulfillment_queue_messages{queue}`: ready messages in each work queue and in the dead-letter queue,
 *   from a passive declare (`checkQueue`), so no management plugin or credentials of its own are needed.
 *   Messages a consumer holds unacked are not counted (RabbitMQ does not report them to a declare).
 */
export function registerBacklogMetrics(registry: Registry, pool: Pool, messaging: Messaging): void {
  const outboxes = scrapeReader(() => readOutboxes(pool), { source: 'postgres', registry });
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

async function readOutboxes(pool: Pool): Promise<OutboxBacklog[]> {
  const { rows } = await pool.query<OutboxBacklog>(
    `SELECT 'email' AS outbox, count(*)::int AS "rows",
            coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS "oldestSeconds"
       FROM email_message WHERE status IN ('pending', 'sending')
     UNION ALL
     SELECT 'shopify_fulfillment', count(*)::int, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8
       FROM fulfillment WHERE status IN ('pending', 'sending')
     UNION ALL
     SELECT 'sales', count(*)::int, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8
       FROM sales_outbox WHERE published_at IS NULL`,
  );
  return OUTBOXES.map((outbox) => rows.find((r) => r.outbox === outbox) ?? { outbox, rows: 0, oldestSeconds: 0 });
}
