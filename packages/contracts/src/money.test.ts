import { describe, expect, it } from 'vitest';
import { salesEventV1 } from './sales-event.ts';
import { buildSalesEvent, type SalesUnitFacts } from './sales-event-builder.ts';
import { fromMinor, inCurrency, isExactIn, isIsoCurrency, lineNet, MONEY_PATTERN } from './unit-price.ts';

// Money that passes a schema must never crash or misreport further on: non-negative, bounded, at most 4 decimals,
// exact in the currency's own digits (KWD and BHD 3, CLF 4), and an event of a recorded unit carries the
// amounts recorded for it.

describe('money at the edge', () => {
  it('refuses negative, exponent, oversized and over-precise amounts; takes every currency digits up to 4', () => {
    for (const bad of ['-5.00', '-9.99', '1e-7', '12345678901.25', '1.23456', '', '.5', '5.'])
      expect(MONEY_PATTERN.test(bad), bad).toBe(false);
    for (const good of ['0', '9.99', '1200.00', '1.234', '0.0125', '999999999.9999'])
      expect(MONEY_PATTERN.test(good), good).toBe(true);
  });

  it("an amount is exact in the currency's minor units (trailing zeros allowed)", () => {
    expect(isExactIn('1200.00', 'JPY')).toBe(true);
    expect(isExactIn('1200.5', 'JPY')).toBe(false);
    expect(isExactIn('9.999', 'USD')).toBe(false);
    expect(isExactIn('1.234', 'KWD')).toBe(true);
    expect(isExactIn('0.1235', 'BHD')).toBe(false);
    expect(isExactIn('0.0125', 'CLF')).toBe(true);
  });

  it('sales.v1 refuses a negative or unbounded unit amount', () => {
    const event = {
      version: 1,
      eventId: '8f0e7a9c-3b1d-4c2e-9f5a-6d7b8c9e0f1a',
      type: 'sale.recorded',
      occurredAt: '2026-11-20T05:03:20.000Z',
      shopDomain: 'single-demo.myshopify.com',
      orderId: '1',
      orderLineId: '2',
      releaseId: '7b0a4f3e-2f7c-4a55-9a51-3f5f0d6b1c11',
      quantity: 1,
      unitPriceNet: '9.99',
      currency: 'USD',
      fan: {},
    };
    expect(salesEventV1.safeParse(event).success).toBe(true);
    expect(salesEventV1.safeParse({ ...event, unitPriceNet: '-1.00' }).success).toBe(false);
    expect(salesEventV1.safeParse({ ...event, unitDiscount: '-5.00' }).success).toBe(false);
    expect(salesEventV1.safeParse({ ...event, unitPriceGross: '12345678901.25' }).success).toBe(false);
  });

  it('a line total past 2^53 minor units stays exact', () => {
    const line = { price: '999999999.99', quantity: 1_000_001, discount: '0', tax: '0', taxesIncluded: false };
    expect(lineNet({ ...line, currency: 'USD' })).toBe('1000000999989999.99');
    expect(fromMinor(-5n, 3)).toBe('-0.005');
  });

  it("prints an amount with exactly the currency's digits", () => {
    expect(inCurrency('7.4900', 'USD')).toBe('7.49');
    expect(inCurrency('1.2', 'KWD')).toBe('1.200');
    expect(inCurrency('1200.00', 'JPY')).toBe('1200');
    expect(inCurrency('0.0125', 'CLF')).toBe('0.0125');
  });
});

const UNIT: SalesUnitFacts = {
  shopDomain: 'single-demo.myshopify.com',
  shopifyOrderId: '5550001001',
  shopifyLineId: '13001001',
  unitIndex: 0,
  releaseId: '7b0a4f3e-2f7c-4a55-9a51-3f5f0d6b1c11',
  upc: '0602445790128',
  isrc: null,
  unitPrice: '10.00',
  lineQuantity: 1,
  lineDiscount: '0',
  lineTax: '0',
  taxesIncluded: false,
  merchBundle: false,
  fanPack: false,
  currency: 'USD',
  email: null,
  billingZip: null,
  billingCountry: null,
  shippingZip: null,
  shippingCountry: null,
  browserIp: null,
  checkoutToken: null,
};

describe('an event of a recorded unit', () => {
  const unit: SalesUnitFacts = {
    shopDomain: 'single-demo.myshopify.com',
    shopifyOrderId: '5550001001',
    shopifyLineId: '13001001',
    unitIndex: 2,
    releaseId: '7b0a4f3e-2f7c-4a55-9a51-3f5f0d6b1c11',
    upc: '0602445790128',
    isrc: null,
    // The line as edited after the sale: 3.00 off three units now.
    unitPrice: '10.00',
    lineQuantity: 3,
    lineDiscount: '3.00',
    lineTax: '0',
    taxesIncluded: false,
    merchBundle: false,
    fanPack: false,
    currency: 'USD',
    email: null,
    billingZip: null,
    billingCountry: null,
    shippingZip: null,
    shippingCountry: null,
    browserIp: null,
    checkoutToken: null,
  };

  it('carries the amounts recorded for the unit, not the edited line', () => {
    const recorded = { recordedGross: '10', recordedDiscount: '0.33', recordedTax: '0', recordedNet: '9.67' };
    expect(buildSalesEvent('sale.reversed', { ...unit, ...recorded }, new Date())).toMatchObject({
      unitPriceNet: '9.67',
      unitPriceGross: '10.00',
      unitDiscount: '0.33',
      unitTax: '0.00',
    });
    // A grant made before the amounts were kept: the unit's share of the line, as before.
    expect(buildSalesEvent('sale.reversed', unit, new Date())).toMatchObject({ unitPriceNet: '9.00' });
  });
});

describe('currencies', () => {
  it('takes ISO 4217 codes only: an unknown code (ZZZ) is not a 2-decimal currency', () => {
    expect(['USD', 'JPY', 'KWD', 'GBP', 'EUR'].every(isIsoCurrency)).toBe(true);
    expect(['ZZZ', 'usd', 'US', ''].some(isIsoCurrency)).toBe(false);
    const event = { ...buildSalesEvent('sale.recorded', { ...UNIT, currency: 'USD' }, new Date()) };
    expect(salesEventV1.safeParse(event).success).toBe(true);
    expect(salesEventV1.safeParse({ ...event, currency: 'ZZZ' }).success).toBe(false);
  });
});
