import { useTestDatabase } from '@single/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedCatalogue, shopifyFixture } from './test-support/fixtures.ts';
import { eventually, startWorkerHarness, type WorkerHarness } from './test-support/worker-harness.ts';

// Issue 15: failed emails and fulfilments are a metric (and an alarm: infra/monitors/), not a silent row.
describe('GET /metrics on the worker health server', () => {
  const database = useTestDatabase();
  let h: WorkerHarness;

  beforeEach(async () => {
    await seedCatalogue(database().db);
    h = await startWorkerHarness(database().url);
  });
  afterEach(async () => {
    await h.close();
  });

  const metrics = async () => {
    const response = await h.worker.http.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    return response.body;
  };

  it('counts failed emails by class: 0 while none failed, then the one whose ladder ran out', async () => {
    expect(await metrics()).toContain('fulfillment_outbox_failed{outbox="email",class="transient"} 0');
    h.smtp.failing = true; // every RCPT TO answers 451 until the ladder (50, 100, 200 ms) is over
    await h.publish('orders/paid', shopifyFixture('orders/paid'), 'w-metrics-1');
    await eventually(async () => {
      expect((await database().db.emailMessage.findFirstOrThrow()).status).toBe('failed');
    }, 10_000);

    await eventually(async () => {
      expect(await metrics()).toContain('fulfillment_outbox_failed{outbox="email",class="transient"} 1');
    }, 10_000);
    const text = await metrics();
    expect(text).toContain('# TYPE fulfillment_outbox_failed gauge');
    expect(text).toContain('fulfillment_outbox_failed{outbox="email",class="permanent"} 0');
    expect(text).toContain('fulfillment_outbox_failed{outbox="shopify_fulfillment",class="permanent"} 0');
    expect(text).toContain('fulfillment_outbox_failures_total{outbox="email",class="transient"} 1');
    // Read from PostgreSQL at each scrape: a redrive (cmdr outbox redrive) brings it back to 0.
    await database().db.emailMessage.updateMany({ data: { status: 'sent', errorClass: null } });
    // Each read is cached a few seconds (a scrape storm costs PostgreSQL one query): it follows within that.
    await eventually(async () => {
      expect(await metrics()).toContain('fulfillment_outbox_failed{outbox="email",class="transient"} 0');
    }, 10_000);
  });
});
