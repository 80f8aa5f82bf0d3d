import { describe, expect, it } from 'vitest';
import { salesEventV1 } from './sales-event.ts';
import { buildSalesEvent, hashEmail, type SalesUnitFacts } from './sales-event-builder.ts';

const unit: SalesUnitFacts = {
  shopDomain: 'single-demo.myshopify.com',
  shopifyOrderId: '5550001001',
  shopifyLineId: '13001002',
  unitIndex: 2,
  releaseId: '7b0a4f3e-2f7c-4a55-9a51-3f5f0d6b1c11',
  upc: '0602445790128',
  unitPrice: '9.99',
  currency: 'USD',
  email: ' Riley.Fan@Example.com ',
  billingZip: '10001',
  billingCountry: 'US',
  shippingZip: null,
  shippingCountry: null,
  browserIp: '203.0.113.7',
  checkoutToken: 'tok-1',
};

describe('sales.v1 events built for one unit', () => {
  it('validate against the shared contract, unit index included (nothing stripped)', () => {
    for (const type of ['sale.recorded', 'sale.redeemed', 'sale.reversed'] as const) {
      const event = buildSalesEvent(type, unit, new Date('2026-11-20T05:03:20Z'));
      expect(salesEventV1.parse(event)).toEqual(event);
      expect(event).toMatchObject({ type, unitIndex: 2, quantity: 1, orderId: '5550001001', orderLineId: '13001002' });
    }
  });

  it('carry the fan as a hash and leave out what is missing or malformed', () => {
    const event = buildSalesEvent('sale.recorded', { ...unit, upc: '12345', email: null }, new Date());
    expect(salesEventV1.parse(event)).toEqual(event);
    expect(event.upc).toBeUndefined();
    expect(event.fan).toEqual({
      billingZip: '10001',
      billingCountry: 'US',
      browserIp: '203.0.113.7',
      checkoutToken: 'tok-1',
    });
    expect(buildSalesEvent('sale.recorded', unit, new Date()).fan.emailHash).toBe(hashEmail('riley.fan@example.com'));
  });

  it('the contract rejects a negative or fractional unit index and still accepts events without one', () => {
    const event = buildSalesEvent('sale.recorded', unit, new Date());
    expect(salesEventV1.safeParse({ ...event, unitIndex: -1 }).success).toBe(false);
    expect(salesEventV1.safeParse({ ...event, unitIndex: 0.5 }).success).toBe(false);
    const { unitIndex: _, ...withoutUnit } = event;
    expect(salesEventV1.parse(withoutUnit)).toEqual(withoutUnit);
  });
});
