import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyedEmailHash, openSealedFan, sealSalesEvent } from './fan-seal.ts';
import { salesEvent, salesEventV1, salesEventV2 } from './sales-event.ts';

const v1 = salesEventV1.parse({
  version: 1,
  eventId: randomUUID(),
  type: 'sale.recorded',
  occurredAt: '2026-11-20T05:03:20.000Z',
  shopDomain: 'single-demo.myshopify.com',
  orderId: '5550001001',
  orderLineId: '13001002',
  unitIndex: 0,
  releaseId: randomUUID(),
  quantity: 1,
  unitPriceNet: '9.99',
  currency: 'USD',
  fan: {
    emailHash: keyedEmailHash('platform-secret-platform-secret-platform-1', 'riley.fan@example.com'),
    billingZip: '10001',
    billingCountry: 'US',
    browserIp: '203.0.113.7',
    checkoutToken: 'tok-1',
  },
});

describe('sales event version 2: fan facts sealed with the fan data key', () => {
  it('keeps the countries in clear, seals the rest, and opens with the key only', () => {
    const key = { id: randomUUID(), key: randomBytes(32) };
    const v2 = sealSalesEvent(v1, key);
    expect(salesEventV2.parse(v2)).toEqual(v2);
    expect(salesEvent.parse(v2).version).toBe(2);
    const text = JSON.stringify(v2);
    for (const secret of ['10001', '203.0.113.7', 'tok-1', v1.fan.emailHash!]) expect(text).not.toContain(secret);
    expect(v2.fan).toEqual({ billingCountry: 'US' });
    expect(openSealedFan(v2.fanSealed!, v2.eventId, key.key)).toEqual({
      emailHash: v1.fan.emailHash,
      billingZip: '10001',
      browserIp: '203.0.113.7',
      checkoutToken: 'tok-1',
    });
    // The key deleted, another key, or the block moved to another event: nothing, and no throw.
    expect(openSealedFan(v2.fanSealed!, v2.eventId, undefined)).toBeNull();
    expect(openSealedFan(v2.fanSealed!, v2.eventId, randomBytes(32))).toBeNull();
    expect(openSealedFan(v2.fanSealed!, randomUUID(), key.key)).toBeNull();
  });

  it('without a key (or nothing to seal) carries no sealed block', () => {
    const v2 = sealSalesEvent(v1, null);
    expect(v2.fanSealed).toBeUndefined();
    expect(v2.fan).toEqual({ billingCountry: 'US' });
  });

  it('the email hash is keyed: not sha256 of the address, and it depends on the secret', () => {
    const email = 'riley.fan@example.com';
    const hash = keyedEmailHash('platform-secret-platform-secret-platform-1', ' Riley.Fan@Example.com ');
    expect(hash).toBe(keyedEmailHash('platform-secret-platform-secret-platform-1', email));
    expect(hash).not.toBe(createHash('sha256').update(email).digest('hex'));
    expect(hash).not.toBe(keyedEmailHash('platform-secret-platform-secret-platform-2', email));
  });
});
