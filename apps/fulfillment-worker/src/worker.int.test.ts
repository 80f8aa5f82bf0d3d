import { Writable } from 'node:stream';
import { createLogger } from '@single/logger';
import { useTestDatabase } from '@single/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { paidOrder, SHOP, seedCatalogue, shopifyFixture } from './test-support/fixtures.ts';
import { eventually, startWorkerHarness, type WorkerHarness } from './test-support/worker-harness.ts';
import { QUEUES } from './topology.ts';

describe('fulfillment worker over RabbitMQ (real servers)', () => {
  const database = useTestDatabase();
  let h: WorkerHarness;
  let logLines: Record<string, unknown>[];

  beforeEach(async () => {
    await seedCatalogue(database().db);
    logLines = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logLines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        callback();
      },
    });
    h = await startWorkerHarness(database().url, { logger: createLogger({ level: 'info', destination }) });
  });
  afterEach(async () => {
    await h.close();
  });

  const db = () => database().db;

  it('the same delivery twice, then orders/updated: one grant per unit and one email delivered over SMTP', async () => {
    const paid = shopifyFixture('orders/paid');
    await h.publish('orders/paid', paid, 'w-1');
    await h.publish('orders/paid', paid, 'w-1');
    await h.publish('orders/updated', { ...paid, updated_at: '2026-11-20T00:09:00-05:00' }, 'w-2');

    await eventually(async () => {
      expect(
        await db().order.findFirst({ where: { shopifyUpdatedAt: new Date('2026-11-20T05:09:00Z') } }),
      ).not.toBeNull();
      expect(h.smtp.received).toHaveLength(1);
    });
    await new Promise((r) => setTimeout(r, 300)); // room for a duplicate to show up, if there were one
    expect(await db().downloadGrant.count()).toBe(3);
    expect(h.smtp.received).toHaveLength(1);
    expect(await db().emailMessage.count()).toBe(1);
    expect(await db().salesOutbox.count()).toBe(3);
    expect((await h.messaging.listDeadLetters(QUEUES.deadLetter, 10)).length).toBe(0);
  });

  it('a refund before the paid order wins; a cancellation revokes what is left', async () => {
    await h.publish('refunds/create', shopifyFixture('refunds/create'), 'w-r');
    await eventually(async () => expect(await db().refundLine.count()).toBe(1));
    await h.publish('orders/paid', shopifyFixture('orders/paid'), 'w-p');
    await eventually(async () => expect(await db().downloadGrant.count()).toBe(2));
    await h.publish('orders/cancelled', shopifyFixture('orders/cancelled'), 'w-c');
    await eventually(async () => expect(await db().downloadGrant.count({ where: { status: 'revoked' } })).toBe(2));
    const types = (await db().salesOutbox.findMany()).map((r) => (r.payload as { type: string }).type).sort();
    expect(types).toEqual(['sale.recorded', 'sale.recorded', 'sale.reversed', 'sale.reversed']);
  });

  it('sends invalid messages straight to the dead-letter queue', async () => {
    await h.publishRaw('shopify.orders.paid', Buffer.from('{not json'), 'bad-1');
    await h.publish('orders/paid', { id: 'not-an-order' }, 'bad-2');
    const dead = await eventually(async () => {
      const list = await h.messaging.listDeadLetters(QUEUES.deadLetter, 10);
      expect(list).toHaveLength(2);
      return list;
    });
    expect(dead.map((d) => [d.messageId, d.reason, d.retryCount]).sort()).toEqual([
      ['bad-1', 'permanent', 0],
      ['bad-2', 'permanent', 0],
    ]);
  });

  it('a transient database failure climbs the ladder into the DLQ; once fixed, a redrive fulfils the order', async () => {
    await h.pool.query('ALTER TABLE orders RENAME TO orders_away');
    await h.publish('orders/paid', shopifyFixture('orders/paid'), 'w-t');
    const [dead] = await eventually(async () => {
      const list = await h.messaging.listDeadLetters(QUEUES.deadLetter, 10);
      expect(list).toHaveLength(1);
      return list;
    });
    expect([dead!.reason, dead!.retryCount, dead!.originalQueue]).toEqual([
      'retries-exhausted',
      3,
      QUEUES.orderSnapshots,
    ]);

    await h.pool.query('ALTER TABLE orders_away RENAME TO orders');
    expect(await h.messaging.redrive(QUEUES.deadLetter, { limit: 10 })).toEqual({ redriven: 1, skipped: 0 });
    await eventually(async () => expect(await db().downloadGrant.count()).toBe(3));
  });

  it('uninstall drops later order messages; privacy topics still run: data request, customer and shop redaction', async () => {
    await h.publish('orders/paid', shopifyFixture('orders/paid'), 'w-1');
    await eventually(async () => expect(h.smtp.received).toHaveLength(1));
    await db().webhookDelivery.create({
      data: {
        shopDomain: SHOP,
        topic: 'orders/paid',
        webhookId: 'w-1',
        bodySha256: 'x',
        dedupeFamily: 'orders/snapshot',
        lane: 'orders',
        payload: JSON.stringify(shopifyFixture('orders/paid')),
        // As the dispatcher stores them at intake: the purges match these ids, never the payload.
        shopifyOrderId: '5550001001',
        shopifyCustomerId: '7770001',
      },
    });

    await h.publish('customers/data_request', shopifyFixture('customers/data_request'), 'w-dr');
    const exported = await eventually(() => db().dataRequestExport.findFirstOrThrow());
    const data = exported.payload as { orders: { email: string; lines: unknown[]; emails: unknown[] }[] };
    expect(data.orders).toHaveLength(1);
    expect(data.orders[0]!.email).toBe('riley.fan@example.com');
    expect(data.orders[0]!.lines).toHaveLength(3);
    expect(data.orders[0]!.emails).toHaveLength(1);

    await h.publish('app/uninstalled', shopifyFixture('app/uninstalled'), 'w-u');
    await eventually(async () =>
      expect((await db().shop.findUniqueOrThrow({ where: { domain: SHOP } })).installState).toBe('uninstalled'),
    );
    // Placed after the uninstall (an order placed before it would still be fulfilled: install-state.int.test.ts).
    const late = paidOrder({ id: 5550009999, created_at: new Date(Date.now() + 60_000).toISOString() });
    await h.publish('orders/paid', late as unknown as Record<string, unknown>, 'w-late');
    await eventually(async () =>
      expect(logLines).toContainEqual(
        expect.objectContaining({ webhookId: 'w-late', msg: 'shop uninstalled: message acknowledged and dropped' }),
      ),
    );

    await h.publish('customers/redact', shopifyFixture('customers/redact'), 'w-cr');
    await eventually(async () => expect(await db().redactedCustomer.count()).toBe(1));
    const order = await db().order.findFirstOrThrow({ where: { shopifyOrderId: 5550001001n } });
    expect([order.email, order.browserIp, order.billingZip, order.shippingZip]).toEqual([null, null, null, null]);
    expect(order.billingCountry).toBe('US');
    expect(await db().downloadGrant.count()).toBe(3); // non-identifying sale data stays
    expect(await db().dataRequestExport.count()).toBe(0);
    expect((await db().webhookDelivery.findFirstOrThrow()).payload).toBeNull();

    await h.publish('shop/redact', shopifyFixture('shop/redact'), 'w-sr');
    await eventually(async () =>
      expect((await db().shop.findUniqueOrThrow({ where: { domain: SHOP } })).installState).toBe('redacted'),
    );
    expect((await db().emailMessage.findFirstOrThrow()).to).toBe('');
    expect(await db().order.count({ where: { shopifyOrderId: 5550009999n } })).toBe(0);
  });

  it('answers health probes and turns unready when stopping', async () => {
    const live = await h.worker.http.app.inject({ url: '/health/live' });
    expect(live.statusCode).toBe(200);
    const ready = await h.worker.http.app.inject({ url: '/health/ready' });
    expect([ready.statusCode, ready.json().dependencies]).toEqual([200, { postgres: 'up', rabbitmq: 'up' }]);
    await h.worker.stop();
    expect((await h.worker.http.app.inject({ url: '/health/ready' })).statusCode).toBe(503);
  });
});
