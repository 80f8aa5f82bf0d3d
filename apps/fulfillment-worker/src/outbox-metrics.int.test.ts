import { redriveFailedOutbox } from '@single/db/commands/outbox-redrive';
import { useTestDatabase } from '@single/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ShopifyAdminClient } from './shopify-admin/admin-client.ts';
import { type FakeShopifyAdmin, startFakeShopifyAdmin } from './test-support/fake-shopify-admin.ts';
import { SHOP, seedCatalogue, shopifyFixture } from './test-support/fixtures.ts';
import { eventually, startWorkerHarness, type WorkerHarness } from './test-support/worker-harness.ts';

/** The value of one series in the Prometheus text, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

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

// Issue 18: the failed-fulfilments gauge seen moving as production moves it. Shopify refuses each create for
// good (a user error), the real sender marks the rows `failed` (permanent), GET /metrics counts them; the
// redrive `cmdr outbox redrive --all` runs (redriveFailedOutbox) puts them back and the gauge returns to 0.
describe('GET /metrics on the worker: failed Shopify fulfilments', () => {
  const database = useTestDatabase();
  let h: WorkerHarness;
  let admin: FakeShopifyAdmin;

  beforeEach(async () => {
    await seedCatalogue(database().db);
    await database().db.shop.create({ data: { domain: SHOP, accessToken: 'shpat_metrics' } });
    admin = await startFakeShopifyAdmin();
    admin.remaining.set('13001001', 1).set('23001001', 1); // the stand-in keys lines by id alone
    h = await startWorkerHarness(database().url, {
      shopify: new ShopifyAdminClient({ apiVersion: '2026-10', urlTemplate: admin.urlTemplate }),
    });
  });
  afterEach(async () => {
    await h.close();
    await admin.close();
  });

  const scrape = async () => {
    const response = await h.worker.http.app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    return response.body;
  };
  const permanent = 'fulfillment_outbox_failed{outbox="shopify_fulfillment",class="permanent"}';

  it('goes from 0 to the two fulfilments Shopify refused, and back to 0 after a redrive', async () => {
    expect(sample(await scrape(), permanent)).toBe(0);
    admin.refuseCreatesNext = 2; // 'Invalid fulfillment order line item quantity requested.' to both creates
    const paid = shopifyFixture('orders/paid');
    await h.publish('orders/paid', paid, 'w-failed-1');
    const lines = (paid.line_items as { id: number }[]).map((line) => ({ ...line, id: line.id + 10_000_000 }));
    await h.publish('orders/paid', { ...paid, id: 5550001002, name: '#1043', line_items: lines }, 'w-failed-2');
    await eventually(async () => {
      const rows = await database().db.fulfillment.findMany();
      expect(rows.map((r) => [r.status, r.errorClass])).toEqual([
        ['failed', 'permanent'],
        ['failed', 'permanent'],
      ]);
    }, 10_000);
    expect(admin.calls.filter((c) => c.operation === 'DigitalFulfillment')).toHaveLength(2);

    await eventually(async () => {
      const text = await scrape();
      expect(sample(text, permanent)).toBe(2);
      expect(sample(text, 'fulfillment_outbox_failures_total{outbox="shopify_fulfillment",class="permanent"}')).toBe(2);
      expect(sample(text, 'fulfillment_outbox_failed{outbox="shopify_fulfillment",class="transient"}')).toBe(0);
    }, 10_000);

    // Shopify accepts again; the operator redrives every failed fulfilment (what `cmdr outbox redrive` runs).
    const outcome = await redriveFailedOutbox(h.pool, 'fulfillment', { all: true });
    expect(outcome.redriven).toHaveLength(2);
    await eventually(async () => {
      const rows = await database().db.fulfillment.findMany();
      expect(rows.map((r) => r.status)).toEqual(['created', 'created']);
    }, 10_000);
    // Each read is cached a few seconds (a scrape storm costs PostgreSQL one query): it follows within that.
    await eventually(async () => expect(sample(await scrape(), permanent)).toBe(0), 10_000);
  });

  it('counts a create whose answer was lost as an uncertain resend, and fulfils once', async () => {
    const series = 'fulfillment_outbox_uncertain_resends_total{outbox="shopify_fulfillment"}';
    expect(sample(await scrape(), series)).toBeUndefined();
    admin.loseAnswerNext = 1; // Shopify creates the fulfilment and the gateway answers 503
    await h.publish('orders/paid', shopifyFixture('orders/paid'), 'w-uncertain-1');
    await eventually(async () => {
      expect((await database().db.fulfillment.findFirstOrThrow()).status).toBe('created');
    }, 10_000);
    expect(admin.created).toBe(1);
    expect(sample(await scrape(), series)).toBe(1);
  });
});
