import { randomUUID } from 'node:crypto';
import { deleteRedisPrefix } from '@single/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  connectShop,
  fixture,
  type Harness,
  SHOP,
  signedRequest,
  startHarness,
  uniqueOrderBody,
} from './test-support/harness.ts';
import { eventually } from './test-support/servers.ts';

// The front door (issue 14): Shopify signs only the body, so a captured body can come back under any shop
// header. The body bytes decide what a delivery is; the shop header decides only whose it is, and only a
// shop the platform connected may deliver at all.

const RIVAL = 'rival-label.myshopify.com';
const GONE = 'gone-store.myshopify.com';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => h.close());

const deliveries = () => h.count('SELECT count(*) AS n FROM webhook_delivery');
const outbox = () => h.count('SELECT count(*) AS n FROM dispatch_outbox');

describe('the same body bytes are one delivery whatever the headers say', () => {
  it('answers duplicate to a captured orders/paid replayed under another connected shop with fresh ids', async () => {
    await connectShop(h.pool, RIVAL);
    const body = fixture('orders-paid');
    expect((await h.dispatcher.app.inject(signedRequest('orders/paid', body))).json()).toEqual({ status: 'accepted' });

    const replays = [
      signedRequest('orders/paid', body, { 'x-shopify-shop-domain': RIVAL }),
      signedRequest('orders/updated', body, { 'x-shopify-shop-domain': RIVAL }),
    ];
    for (const replay of replays) {
      const response = await h.dispatcher.app.inject(replay);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'duplicate' });
    }
    // Not only the Redis fast path: with Redis emptied, PostgreSQL's unique key still says duplicate.
    await deleteRedisPrefix(h.prefix);
    const afterFlush = await h.dispatcher.app.inject(
      signedRequest('orders/paid', body, { 'x-shopify-shop-domain': RIVAL, 'x-shopify-webhook-id': randomUUID() }),
    );
    expect(afterFlush.json()).toEqual({ status: 'duplicate' });

    expect(await h.count(`SELECT count(*) AS n FROM webhook_delivery WHERE shop_domain = '${RIVAL}'`)).toBe(0);
    expect(await deliveries()).toBe(1);
    expect(await outbox()).toBe(1);
    await h.relay.start();
    await eventually(() => h.received.length === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.received).toHaveLength(1);
    expect(h.received[0]?.headers?.['x-shop-domain']).not.toBe(RIVAL);
  });

  it('answers duplicate to an orders/cancelled body replayed as orders/updated under another shop (the topic is a header too)', async () => {
    await connectShop(h.pool, RIVAL);
    const order = JSON.parse(uniqueOrderBody(11).toString());
    order.cancelled_at = '2026-11-21T10:00:00Z';
    const body = Buffer.from(JSON.stringify(order));
    const first = await h.dispatcher.app.inject(signedRequest('orders/cancelled', body));
    expect(first.json()).toEqual({ status: 'accepted' });

    const replays = [
      signedRequest('orders/updated', body, { 'x-shopify-shop-domain': RIVAL }),
      signedRequest('orders/paid', body, { 'x-shopify-shop-domain': SHOP }),
    ];
    for (const replay of replays)
      expect((await h.dispatcher.app.inject(replay)).json()).toEqual({ status: 'duplicate' });
    // PostgreSQL's unique key alone (Redis emptied) says the same, with fresh ids and another topic.
    await deleteRedisPrefix(h.prefix);
    for (const topic of ['orders/updated', 'orders/create'] as const) {
      const replay = signedRequest(topic, body, {
        'x-shopify-shop-domain': RIVAL,
        'x-shopify-webhook-id': randomUUID(),
      });
      expect((await h.dispatcher.app.inject(replay)).json()).toEqual({ status: 'duplicate' });
    }
    expect(await deliveries()).toBe(1);
    expect(await outbox()).toBe(1);
    expect(await h.count(`SELECT count(*) AS n FROM webhook_delivery WHERE topic = 'orders/cancelled'`)).toBe(1);
  });

  it('claims one body sent at once under several shops exactly once, and never for a shop not connected', async () => {
    await connectShop(h.pool, RIVAL);
    const body = uniqueOrderBody(7);
    const shops = ['never-connected.myshopify.com', RIVAL, SHOP];
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        h.dispatcher.app.inject(signedRequest('orders/paid', body, { 'x-shopify-shop-domain': shops[i % 3] })),
      ),
    );
    const statuses = answers.map((a) => a.statusCode);
    expect(statuses.filter((s) => s === 403)).toHaveLength(4);
    const taken = answers.filter((a) => a.statusCode === 200).map((a) => a.json().status);
    expect(taken.filter((s) => s === 'accepted')).toHaveLength(1);
    expect(taken.filter((s) => s === 'duplicate')).toHaveLength(7);
    expect(await deliveries()).toBe(1);
    expect(await outbox()).toBe(1);
  });
});

describe('only shops the platform connected may deliver', () => {
  it('refuses a shop with no row in `shop` with a 403 problem, storing and publishing nothing', async () => {
    const request = signedRequest('orders/paid', uniqueOrderBody(1), {
      'x-shopify-shop-domain': 'never-connected.myshopify.com',
    });
    const response = await h.dispatcher.app.inject(request);
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json()).toMatchObject({ status: 403, code: 'unknown_shop' });
    expect(await deliveries()).toBe(0);
    expect(await outbox()).toBe(0);
    await h.relay.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(h.received).toHaveLength(0);
    // Refused, not remembered: once the shop is connected, Shopify's retry of the same delivery is taken.
    await connectShop(h.pool, 'never-connected.myshopify.com');
    expect((await h.dispatcher.app.inject(request)).json()).toEqual({ status: 'accepted' });
  });

  it('is guarded by the claim statement itself, not only by the route’s cached check', async () => {
    // Straight to the claim (as a stale cache would let through): the unknown shop's copy is refused in the
    // statement, and the connected shop's copy of the same body in the same batch is still the delivery.
    const delivery = (shopDomain: string) => ({
      shopDomain,
      topic: 'orders/paid',
      webhookId: randomUUID(),
      eventId: null,
      bodySha256: 'f'.repeat(64),
      dedupeFamily: 'orders/snapshot',
      lane: 'orders' as const,
      triggeredAt: null,
      receivedAt: new Date().toISOString(),
      apiVersion: null,
      payloadJson: '{}',
      payloadExpiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      traceHeadersJson: '{}',
    });
    const results = await Promise.all([
      h.dispatcher.claims.claim(delivery('never-connected.myshopify.com')),
      h.dispatcher.claims.claim(delivery(SHOP)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['unknown_shop', 'accepted']);
    expect(await h.count(`SELECT count(*) AS n FROM webhook_delivery WHERE shop_domain = '${SHOP}'`)).toBe(1);
    expect(await deliveries()).toBe(1);
  });

  it('still takes an uninstalled shop’s privacy webhooks (shop/redact 48 hours later) and enqueues them', async () => {
    await connectShop(h.pool, GONE, 'uninstalled');
    const shopRedact = Buffer.from(JSON.stringify({ shop_id: 71000009, shop_domain: GONE }));
    const customersRedact = JSON.parse(fixture('customers-redact').toString());
    customersRedact.shop_domain = GONE;
    const requests = [
      signedRequest('shop/redact', shopRedact, { 'x-shopify-shop-domain': GONE }),
      signedRequest('customers/redact', Buffer.from(JSON.stringify(customersRedact)), {
        'x-shopify-shop-domain': GONE,
      }),
    ];
    for (const request of requests) {
      const response = await h.dispatcher.app.inject(request);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'accepted' });
    }
    expect(await outbox()).toBe(2);
    await h.relay.start();
    await eventually(() => h.received.length === 2);
    expect(h.received.map((m) => m.routingKey).sort()).toEqual(['shopify.customers.redact', 'shopify.shop.redact']);
  });
});
