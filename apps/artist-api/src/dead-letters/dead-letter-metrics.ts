import { type Registry, scrapeGauge, scrapeReader } from '@single/http';
import type { Messaging } from '@single/messaging';

/**
 * `dead_letter_messages{queue}`: messages in each dead-letter queue this API lists and redrives
 * (DEAD_LETTER_QUEUES), from a passive declare at scrape time (cached a few seconds, with a deadline).
 */
export function registerDeadLetterMetrics(registry: Registry, messaging: Messaging, queues: readonly string[]): void {
  if (queues.length === 0) return;
  const read = scrapeReader(
    () => Promise.all(queues.map(async (queue) => ({ queue, ...(await messaging.inspectQueue(queue)) }))),
    { source: 'rabbitmq', registry },
  );
  scrapeGauge({
    name: 'dead_letter_messages',
    help: 'Messages waiting in each dead-letter queue (list and redrive: /v1/dead-letters, cmdr dlq)',
    labelNames: ['queue'],
    registry,
    read,
    values: (stats) => stats.map((q) => ({ labels: { queue: q.queue }, value: q.messageCount })),
  });
}
