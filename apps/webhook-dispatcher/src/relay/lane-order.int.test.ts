import { silentLogger } from '@single/logger';
import type { Messaging } from '@single/messaging';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixture, type Harness, signedRequest, startHarness } from '../test-support/harness.ts';
import { OutboxRelay } from './outbox-relay.ts';

async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** One order's snapshot as a distinct body (the body key is global): same order id, its own updated_at. */
function orderBody(orderId: number, second: number): Buffer {
  const order = JSON.parse(fixture('orders-paid').toString());
  order.id = orderId;
  order.admin_graphql_api_id = `gid://shopify/Order/${orderId}`;
  order.updated_at = new Date(Date.UTC(2026, 10, 20, 0, 0, second)).toISOString();
  return Buffer.from(JSON.stringify(order));
}

/** The real broker, except that the first publish of each listed webhook id fails as a lost confirm would. */
function failingOnce(messaging: Messaging, webhookIds: Set<string>): Messaging {
  return new Proxy(messaging, {
    get(target, prop, receiver) {
      if (prop !== 'publish') return Reflect.get(target, prop, receiver);
      const publish: Messaging['publish'] = async (exchange, routingKey, body, options) => {
        const id = options?.messageId;
        if (id && webhookIds.delete(id)) throw new Error('publish not confirmed (injected)');
        return target.publish(exchange, routingKey, body, options);
      };
      return publish;
    },
  });
}

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => h.close());

describe('OutboxRelay lane order under a partial failure (real RabbitMQ)', () => {
  it('never lets a later delivery of one order overtake an earlier one that failed; other orders go on', async () => {
    // Order A: create, paid (its publish fails once), updated. Order B: paid. All in one relay batch.
    const sent = [
      signedRequest('orders/create', orderBody(7_100_000_001, 1)),
      signedRequest('orders/paid', orderBody(7_100_000_001, 2)),
      signedRequest('orders/updated', orderBody(7_100_000_001, 3)),
      signedRequest('orders/paid', orderBody(7_100_000_002, 4)),
    ];
    for (const request of sent) expect((await h.dispatcher.app.inject(request)).statusCode).toBe(200);
    const ids = sent.map((r) => r.headers['x-shopify-webhook-id']);
    const relay = new OutboxRelay({
      pool: h.pool,
      messaging: failingOnce(h.messaging, new Set([ids[1] as string])),
      logger: silentLogger(),
      lanes: ['orders'],
      idlePollMs: 100,
    });
    await relay.start();
    try {
      await eventually(() => new Set(h.received.map((m) => m.messageId)).size === 4);
    } finally {
      await relay.stop();
    }
    const firstSeen = [...new Set(h.received.map((m) => m.messageId))];
    // Order A arrives as it was accepted: create, paid, updated (the failed paid was not overtaken).
    expect(firstSeen.filter((id) => id !== ids[3])).toEqual([ids[0], ids[1], ids[2]]);
    // Order B did not wait for order A's retry: it went out in the first round, before A's paid.
    expect(firstSeen.indexOf(ids[3] as string)).toBeLessThan(firstSeen.indexOf(ids[1] as string));
    expect(await h.count('SELECT count(*) AS n FROM dispatch_outbox')).toBe(0);
  });
});
