import { readFileSync } from 'node:fs';
import { sharedFixture } from '@single/testing';
import { describe, expect, it } from 'vitest';
import { parseShopifyHeaders } from './headers.ts';
import { checkPayloadAgainstHeaders } from './payload-checks.ts';
import { dedupeFamily, laneOf } from './topics.ts';
import { signShopifyBody, verifyShopifyHmac } from './verify-hmac.ts';

const fixture = (name: string) => readFileSync(sharedFixture(`shopify/${name}.json`));
const SECRET = 'fixture-secret-do-not-use-in-production';

describe('verifyShopifyHmac', () => {
  it.each([
    ['orders-paid', 'AdOGOZl3b4u9iv6CLqBeqxKNBvil4BEY6Xtm4TIrJhA='],
    ['orders-create', 'wqTLWSJ7MR8ADE42Cyz1dMBANI3mIo/RSKaFOfsBqXo='],
    ['refunds-create', 'GCTIJ4J/voByny0C637hF7z6ZNqbWgAyBfJ/bxigI4E='],
    ['customers-redact', 'vx+d4Pp2w+U486CJ0SQtEYyjwpZLpRGXlEY9vfb25Z4='],
  ])('matches the known vector for %s', (name, hmac) => {
    const body = fixture(name);
    expect(signShopifyBody(body, SECRET)).toBe(hmac);
    expect(verifyShopifyHmac(body, hmac, [SECRET])).toBe(true);
  });

  it('accepts any secret of a rotation and rejects everything else', () => {
    const body = fixture('orders-paid');
    const hmac = 'AdOGOZl3b4u9iv6CLqBeqxKNBvil4BEY6Xtm4TIrJhA=';
    expect(verifyShopifyHmac(body, hmac, ['old-secret-old-secret', SECRET])).toBe(true);
    expect(verifyShopifyHmac(body, hmac, ['other-secret-other-secret'])).toBe(false);
    expect(verifyShopifyHmac(Buffer.concat([body, Buffer.from(' ')]), hmac, [SECRET])).toBe(false);
    // Re-serialised JSON is not the signed bytes.
    expect(verifyShopifyHmac(Buffer.from(JSON.stringify(JSON.parse(body.toString()))), hmac, [SECRET])).toBe(false);
    for (const bad of [undefined, '', 'not base64!', hmac.slice(0, -2), `${hmac}AA`]) {
      expect(verifyShopifyHmac(body, bad, [SECRET])).toBe(false);
    }
  });
});

describe('parseShopifyHeaders', () => {
  const good = {
    'x-shopify-topic': 'orders/paid',
    'x-shopify-shop-domain': 'single-demo.myshopify.com',
    'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
    'x-shopify-event-id': '98880550-7158-44d4-b7cd-2c97c8a091b5',
    'x-shopify-triggered-at': '2026-11-20T05:03:20.123456Z',
    'x-shopify-api-version': '2026-10',
  };

  it('reads every header', () => {
    const parsed = parseShopifyHeaders(good);
    expect(parsed).toEqual({
      ok: true,
      value: {
        topic: 'orders/paid',
        shopDomain: 'single-demo.myshopify.com',
        webhookId: good['x-shopify-webhook-id'],
        eventId: good['x-shopify-event-id'],
        triggeredAt: '2026-11-20T05:03:20.123Z',
        apiVersion: '2026-10',
        hmac: undefined,
      },
    });
  });

  it.each([
    ['x-shopify-topic', undefined, 'is required'],
    ['x-shopify-topic', 'orders/exploded', 'is not a topic we subscribe to'],
    ['x-shopify-shop-domain', 'evil.example.com', 'is malformed'],
    // Not a DNS label: the store install would refuse it, so intake does too (one definition, @single/contracts).
    ['x-shopify-shop-domain', 'a-.myshopify.com', 'is malformed'],
    ['x-shopify-shop-domain', ['a.myshopify.com', 'b.myshopify.com'], 'must appear once'],
    ['x-shopify-webhook-id', undefined, 'is required'],
    ['x-shopify-webhook-id', 'has spaces in it', 'is malformed'],
    ['x-shopify-triggered-at', 'yesterday', 'is not a timestamp'],
    ['x-shopify-api-version', '26-10', 'is malformed'],
  ])('rejects %s = %j', (field, value, message) => {
    const parsed = parseShopifyHeaders({ ...good, [field]: value });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems).toContainEqual({ field, message });
  });

  it('optional headers may be absent', () => {
    const { 'x-shopify-event-id': _e, 'x-shopify-triggered-at': _t, 'x-shopify-api-version': _a, ...required } = good;
    const parsed = parseShopifyHeaders(required);
    expect(parsed.ok && parsed.value).toMatchObject({ eventId: null, triggeredAt: null, apiVersion: null });
  });
});

describe('checkPayloadAgainstHeaders', () => {
  const json = (name: string) => JSON.parse(fixture(name).toString());
  const shop = 'single-demo.myshopify.com';

  it.each([
    ['orders/create', 'orders-create'],
    ['orders/paid', 'orders-paid'],
    ['orders/updated', 'orders-updated'],
    ['orders/cancelled', 'orders-cancelled'],
    ['refunds/create', 'refunds-create'],
    ['app/uninstalled', 'app-uninstalled'],
    ['customers/data_request', 'customers-data_request'],
    ['customers/redact', 'customers-redact'],
    ['shop/redact', 'shop-redact'],
  ] as const)('accepts the %s fixture under its own topic', (topic, name) => {
    expect(checkPayloadAgainstHeaders(topic, shop, json(name))).toBeNull();
  });

  it('catches a body replayed under another topic or shop', () => {
    expect(checkPayloadAgainstHeaders('customers/redact', shop, json('orders-paid'))).toBe('topic_mismatch');
    expect(checkPayloadAgainstHeaders('shop/redact', shop, json('customers-redact'))).toBe('topic_mismatch');
    expect(checkPayloadAgainstHeaders('orders/cancelled', shop, json('orders-paid'))).toBe('topic_mismatch');
    expect(checkPayloadAgainstHeaders('refunds/create', shop, json('orders-paid'))).toBe('topic_mismatch');
    expect(checkPayloadAgainstHeaders('customers/redact', 'other.myshopify.com', json('customers-redact'))).toBe(
      'shop_mismatch',
    );
    expect(checkPayloadAgainstHeaders('app/uninstalled', 'other.myshopify.com', json('app-uninstalled'))).toBe(
      'shop_mismatch',
    );
  });

  it('puts privacy topics in their own lane and order snapshots in one dedupe family', () => {
    expect(laneOf('customers/redact')).toBe('privacy');
    expect(laneOf('app/uninstalled')).toBe('privacy');
    expect(laneOf('orders/paid')).toBe('orders');
    expect(dedupeFamily('orders/paid')).toBe(dedupeFamily('orders/updated'));
    expect(dedupeFamily('orders/cancelled')).toBe('orders/cancelled');
  });
});
