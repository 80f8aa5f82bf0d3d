import { useTestDatabase } from '@single/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedCatalogue, shopifyFixture } from './test-support/fixtures.ts';
import { eventually, startWorkerHarness, type WorkerHarness } from './test-support/worker-harness.ts';

/** The value of one series in the Prometheus text, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

// Issue 18: the worker's backlogs on GET /metrics of its health server, read from PostgreSQL and RabbitMQ.
describe('GET /metrics on the worker: outbox backlogs, queue depths and dead letters', () => {
  const database = useTestDatabase();
  let h: WorkerHarness;

  beforeEach(async () => {
    await seedCatalogue(database().db);
    // A failed send waits a minute for its next attempt: the email stays in the outbox while the test looks.
    h = await startWorkerHarness(database().url, { retryDelaysMs: [60_000] });
  });
  afterEach(async () => {
    await h.close();
  });

  const scrape = async () => {
    const response = await h.worker.http.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    return response.body;
  };

  it('moves with emails and sales waiting, messages left in a queue with no consumer and a dead letter', async () => {
    const before = await scrape();
    for (const outbox of ['email', 'shopify_fulfillment', 'sales']) {
      expect(sample(before, `fulfillment_outbox_backlog{outbox="${outbox}"}`)).toBe(0);
      expect(sample(before, `fulfillment_outbox_oldest_age_seconds{outbox="${outbox}"}`)).toBe(0);
    }
    expect(sample(before, 'fulfillment_queue_messages{queue="fulfillment.orders.snapshot"}')).toBe(0);
    expect(sample(before, 'fulfillment_dead_letters')).toBe(0);
    expect(before).toContain('fulfillment_outbox_failed{outbox="email",class="transient"} 0');

    h.smtp.failing = true; // the email waits for its next attempt
    await h.publish('orders/paid', shopifyFixture('orders/paid'), 'w-backlog-1'); // no Kafka here: sales wait too
    await h.publishRaw('shopify.orders.paid', Buffer.from('{not json'), 'w-backlog-bad'); // straight to the DLQ
    await eventually(async () => {
      expect(await database().db.emailMessage.count({ where: { status: 'pending', attempts: { gt: 0 } } })).toBe(1);
    }, 10_000);
    // The consumers stop: what is published now stays in its queue.
    await h.worker.stop();
    await h.publish('orders/paid', shopifyFixture('orders/paid'), 'w-backlog-2');
    await h.publish('orders/updated', shopifyFixture('orders/updated'), 'w-backlog-3');

    await eventually(async () => {
      const text = await scrape();
      expect(sample(text, 'fulfillment_outbox_backlog{outbox="email"}')).toBe(1);
      expect(sample(text, 'fulfillment_outbox_backlog{outbox="sales"}')).toBeGreaterThan(0);
      expect(sample(text, 'fulfillment_outbox_oldest_age_seconds{outbox="email"}')).toBeGreaterThan(0);
      expect(sample(text, 'fulfillment_outbox_oldest_age_seconds{outbox="sales"}')).toBeGreaterThan(0);
      expect(sample(text, 'fulfillment_queue_messages{queue="fulfillment.orders.snapshot"}')).toBe(2);
      expect(sample(text, 'fulfillment_queue_messages{queue="fulfillment.dlq"}')).toBe(1);
      expect(sample(text, 'fulfillment_dead_letters')).toBe(1);
    }, 15_000);
  });
});
