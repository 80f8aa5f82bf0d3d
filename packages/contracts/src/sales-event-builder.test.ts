import { describe, expect, it } from 'vitest';
import { salesEventV1 } from './sales-event.ts';
import { buildSalesEvent, type SalesUnitFacts } from './sales-event-builder.ts';

const unit: SalesUnitFacts = {
  shopDomain: 'single-demo.myshopify.com',
  shopifyOrderId: '5550001001',
  shopifyLineId: '13001002',
  unitIndex: 2,
  releaseId: '7b0a4f3e-2f7c-4a55-9a51-3f5f0d6b1c11',
  upc: '0602445790128',
  isrc: null,
  unitPrice: '9.99',
  lineQuantity: 3,
  lineDiscount: '1.00',
  lineTax: '0.00',
  taxesIncluded: false,
  merchBundle: false,
  fanPack: false,
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

  it('carry no email hash (the relay adds the keyed one) and leave out what is missing or malformed', () => {
    const event = buildSalesEvent('sale.recorded', { ...unit, upc: '12345', email: null }, new Date());
    expect(salesEventV1.parse(event)).toEqual(event);
    expect(event.upc).toBeUndefined();
    expect(event.fan).toEqual({
      billingZip: '10001',
      billingCountry: 'US',
      browserIp: '203.0.113.7',
      checkoutToken: 'tok-1',
    });
    expect(buildSalesEvent('sale.recorded', unit, new Date()).fan.emailHash).toBeUndefined();
  });

  it('the contract rejects a negative or fractional unit index and still accepts events without one', () => {
    const event = buildSalesEvent('sale.recorded', unit, new Date());
    expect(salesEventV1.safeParse({ ...event, unitIndex: -1 }).success).toBe(false);
    expect(salesEventV1.safeParse({ ...event, unitIndex: 0.5 }).success).toBe(false);
    const { unitIndex: _, ...withoutUnit } = event;
    expect(salesEventV1.parse(withoutUnit)).toEqual(withoutUnit);
  });

  it('carry the unit net of its share of the line discount, with gross, discount and tax beside it', () => {
    // 1.00 off a line of 3: units 0, 1, 2 get 0.34, 0.33, 0.33.
    const nets = [0, 1, 2].map((unitIndex) => buildSalesEvent('sale.recorded', { ...unit, unitIndex }, new Date()));
    expect(nets.map((e) => [e.unitPriceNet, e.unitPriceGross, e.unitDiscount, e.unitTax])).toEqual([
      ['9.65', '9.99', '0.34', '0.00'],
      ['9.66', '9.99', '0.33', '0.00'],
      ['9.66', '9.99', '0.33', '0.00'],
    ]);
    for (const event of nets) expect(salesEventV1.parse(event)).toEqual(event);
  });

  it('a track sale carries its ISRC; a merch bundle says so and whether it is a fan pack', () => {
    const track = buildSalesEvent('sale.recorded', { ...unit, upc: null, isrc: 'USABC2600001' }, new Date());
    expect(track).toMatchObject({ isrc: 'USABC2600001' });
    expect(track.upc).toBeUndefined();
    expect(track.merchBundle).toBeUndefined();
    const merch = buildSalesEvent('sale.recorded', { ...unit, merchBundle: true }, new Date());
    expect(merch).toMatchObject({ merchBundle: true, fanPack: false });
    expect(salesEventV1.parse(merch)).toEqual(merch);
  });

  it('the contract accepts events without the new amounts and rejects amounts that are not decimal strings', () => {
    const event = buildSalesEvent('sale.recorded', unit, new Date());
    const { unitPriceGross: _g, unitDiscount: _d, unitTax: _t, ...old } = event;
    expect(salesEventV1.parse(old)).toEqual(old);
    expect(salesEventV1.safeParse({ ...event, unitDiscount: 0.34 }).success).toBe(false);
    expect(salesEventV1.safeParse({ ...event, unitPriceGross: '9,99' }).success).toBe(false);
  });
});
