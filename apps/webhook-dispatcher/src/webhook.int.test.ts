import { randomUUID } from 'node:crypto';
import { webhookEnvelopeV1 } from '@single/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAINTENANCE_FLAG_KEY } from './maintenance.ts';
import {
  fixture,
  type Harness,
  SECRET,
  SHOP,
  signedRequest,
  startHarness,
  uniqueOrderBody,
} from './test-support/harness.ts';

async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ secrets: ['retired-secret-still-overlapping', SECRET] });
});
afterEach(async () => h.close());

const deliveries = () => h.count('SELECT count(*) AS n FROM webhook_delivery');
const outbox = () => h.count('SELECT count(*) AS n FROM dispatch_outbox');

describe('POST /webhooks/shopify', () => {
  it('accepts a signed delivery (second secret of a rotation), logs it and publishes the envelope once', async () => {
    const request = signedRequest('orders/paid', fixture('orders-paid'));
    const response = await h.dispatcher.app.inject(request);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'accepted' });
    // Durable before the answer: the delivery and the publish it is owed are both committed.
    expect(await deliveries()).toBe(1);
    expect(await outbox()).toBe(1);

    await h.relay.start();
    await eventually(() => h.received.length === 1);
    await eventually(async () => (await outbox()) === 0);
    const [message] = h.received;
    expect(message?.routingKey).toBe('shopify.orders.paid');
    expect(message?.messageId).toBe(request.headers['x-shopify-webhook-id']);
    expect(message?.headers).toMatchObject({
      'x-shop-domain': SHOP,
      'x-shopify-topic': 'orders/paid',
      'x-shopify-event-id': request.headers['x-shopify-event-id'],
      'x-shopify-api-version': '2026-10',
    });
    const envelope = webhookEnvelopeV1.parse(JSON.parse(message!.body.toString()));
    expect(envelope).toMatchObject({
      version: 1,
      source: 'shopify',
      topic: 'orders/paid',
      shopDomain: SHOP,
      webhookId: request.headers['x-shopify-webhook-id'],
      apiVersion: '2026-10',
    });
    expect(envelope.payload).toEqual(JSON.parse(fixture('orders-paid').toString()));
    const { rows } = await h.pool.query(
      "SELECT status, payload_expires_at > now() + interval '6 days' AS kept, published_at IS NOT NULL AS published FROM webhook_delivery",
    );
    expect(rows[0]).toEqual({ status: 'published', kept: true, published: true });
  });

  it('claims a delivery once per webhook id, per event id and per body', async () => {
    const body = fixture('orders-paid');
    const first = signedRequest('orders/paid', body);
    expect((await h.dispatcher.app.inject(first)).json()).toEqual({ status: 'accepted' });
    const retries = [
      first, // Shopify's retry of the same delivery
      signedRequest('orders/paid', uniqueOrderBody(1), { 'x-shopify-event-id': first.headers['x-shopify-event-id'] }), // same merchant action
      signedRequest('orders/paid', body), // captured body replayed with fresh ids
      signedRequest('orders/updated', body), // ... and under another snapshot topic
    ];
    for (const retry of retries) {
      const response = await h.dispatcher.app.inject(retry);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'duplicate' });
    }
    // The fast path never decided alone: clear Redis and the database still says duplicate.
    await h.cache.del(`claim:w:${SHOP}:${first.headers['x-shopify-webhook-id']}`);
    expect((await h.dispatcher.app.inject(first)).json()).toEqual({ status: 'duplicate' });
    expect(await deliveries()).toBe(1);
    expect(await outbox()).toBe(1);
  });

  it('claims concurrent copies of one delivery exactly once', async () => {
    const request = signedRequest('orders/paid', fixture('orders-paid'));
    const answers = await Promise.all(Array.from({ length: 20 }, () => h.dispatcher.app.inject(request)));
    const statuses = answers.map((a) => a.json().status).sort();
    expect(statuses.filter((s) => s === 'accepted')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'duplicate')).toHaveLength(19);
    expect(await outbox()).toBe(1);
  });

  it.each(['orders/paid', 'customers/redact', 'customers/data_request', 'shop/redact'])(
    'answers 401 to a bad signature on %s',
    async (topic) => {
      const name = topic.replace('/', '-');
      const body = fixture(name);
      for (const hmac of [
        undefined,
        signedRequest(topic, body, {}, 'wrong-secret-wrong-secret').headers['x-shopify-hmac-sha256'],
        'AAAA',
      ]) {
        const response = await h.dispatcher.app.inject(signedRequest(topic, body, { 'x-shopify-hmac-sha256': hmac }));
        expect(response.statusCode).toBe(401);
        expect(response.headers['content-type']).toContain('application/problem+json');
        expect(response.json().code).toBe('invalid_hmac');
      }
      expect(await deliveries()).toBe(0);
    },
  );

  it.each([
    [
      'missing topic',
      signedRequest('orders/paid', fixture('orders-paid'), { 'x-shopify-topic': undefined }),
      400,
      'invalid_headers',
    ],
    [
      'bad shop domain',
      signedRequest('orders/paid', fixture('orders-paid'), { 'x-shopify-shop-domain': 'evil.example.com' }),
      400,
      'invalid_headers',
    ],
    [
      'missing webhook id',
      signedRequest('orders/paid', fixture('orders-paid'), { 'x-shopify-webhook-id': undefined }),
      400,
      'invalid_headers',
    ],
    ['unknown topic', signedRequest('products/create', fixture('orders-paid')), 400, 'invalid_headers'],
    ['invalid JSON', signedRequest('orders/paid', Buffer.from('{"id": 1,')), 400, 'invalid_json'],
    ['JSON array', signedRequest('orders/paid', Buffer.from('[1,2]')), 400, 'invalid_json'],
    [
      'forged shop header',
      signedRequest('customers/redact', fixture('customers-redact'), {
        'x-shopify-shop-domain': 'victim.myshopify.com',
      }),
      400,
      'shop_mismatch',
    ],
    ['forged topic header', signedRequest('customers/redact', fixture('orders-paid')), 400, 'topic_mismatch'],
  ])('rejects %s with a problem and no side effect', async (_name, request, status, code) => {
    const response = await h.dispatcher.app.inject(request);
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ status, code });
    expect(await deliveries()).toBe(0);
    expect(await outbox()).toBe(0);
  });

  it('answers 413 above the body limit (2 MiB by default), and takes a real large order', async () => {
    const big = JSON.parse(fixture('orders-paid').toString());
    big.note = 'x'.repeat(300 * 1024); // real orders exceed 100 KB
    const large = await h.dispatcher.app.inject(signedRequest('orders/paid', Buffer.from(JSON.stringify(big))));
    expect(large.statusCode).toBe(200);
    big.note = 'x'.repeat(2 * 1024 * 1024);
    const tooLarge = await h.dispatcher.app.inject(signedRequest('orders/paid', Buffer.from(JSON.stringify(big))));
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.json().code).toBe('payload_too_large');
    expect(await deliveries()).toBe(1);
  });

  it('answers 503 with Retry-After in maintenance mode, without side effects, and recovers', async () => {
    await h.cache.set(MAINTENANCE_FLAG_KEY, 'on');
    const during = await h.dispatcher.app.inject(signedRequest('orders/paid', fixture('orders-paid')));
    expect(during.statusCode).toBe(503);
    expect(during.headers['retry-after']).toBe('60');
    expect(during.json().code).toBe('maintenance');
    expect(await deliveries()).toBe(0);
    await h.cache.del(MAINTENANCE_FLAG_KEY);
    expect((await h.dispatcher.app.inject(signedRequest('orders/paid', fixture('orders-paid')))).statusCode).toBe(200);
  });

  it('answers 503 when PostgreSQL cannot take the delivery, and nothing is half-stored', async () => {
    await h.pool.query('ALTER TABLE dispatch_outbox RENAME TO dispatch_outbox_gone');
    const response = await h.dispatcher.app.inject(signedRequest('orders/paid', fixture('orders-paid')));
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.json().code).toBe('storage_unavailable');
    await h.pool.query('ALTER TABLE dispatch_outbox_gone RENAME TO dispatch_outbox');
    expect(await deliveries()).toBe(0); // the claim rolled back with the outbox insert
  });

  it('publishes privacy topics in their own lane, ahead of an order flood', async () => {
    const orders = Array.from({ length: 400 }, (_, i) => signedRequest('orders/paid', uniqueOrderBody(i)));
    for (const request of orders) expect((await h.dispatcher.app.inject(request)).statusCode).toBe(200);
    const redact = signedRequest('customers/redact', fixture('customers-redact'));
    expect((await h.dispatcher.app.inject(redact)).statusCode).toBe(200);
    await h.relay.start();
    await eventually(() => h.received.length === 401, 30_000);
    const position = h.received.findIndex((m) => m.routingKey === 'shopify.customers.redact');
    expect(position).toBeGreaterThanOrEqual(0);
    expect(position).toBeLessThan(200);
    expect(new Set(h.received.map((m) => m.messageId)).size).toBe(401);
  });
});

describe('Redis unavailable', () => {
  it('keeps dedupe exact through PostgreSQL alone', async () => {
    const offline = await startHarness({ redisUrl: 'redis://127.0.0.1:1' });
    try {
      const request = signedRequest('orders/paid', fixture('orders-paid'), { 'x-shopify-webhook-id': randomUUID() });
      expect((await offline.dispatcher.app.inject(request)).json()).toEqual({ status: 'accepted' });
      expect((await offline.dispatcher.app.inject(request)).json()).toEqual({ status: 'duplicate' });
      expect(
        (await offline.dispatcher.app.inject(signedRequest('orders/paid', fixture('orders-paid')))).json(),
      ).toEqual({ status: 'duplicate' });
      expect(await offline.count('SELECT count(*) AS n FROM dispatch_outbox')).toBe(1);
    } finally {
      await offline.close();
    }
  });
});
