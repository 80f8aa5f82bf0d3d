import { describe, expect, it } from 'vitest';
import { salesEventV1 } from './sales-event.ts';
import { isShopifyTopic, shopifyRoutingKey, webhookEnvelopeV1 } from './webhook-envelope.ts';

describe('contracts', () => {
  it('derives routing keys from Shopify topics', () => {
    expect(shopifyRoutingKey('orders/paid')).toBe('shopify.orders.paid');
    expect(shopifyRoutingKey('customers/data_request')).toBe('shopify.customers.data_request');
    expect(isShopifyTopic('orders/paid')).toBe(true);
    expect(isShopifyTopic('toString')).toBe(false);
  });

  it('validates the webhook envelope', () => {
    const envelope = {
      version: 1,
      source: 'shopify',
      topic: 'orders/paid',
      shopDomain: 'demo-label.myshopify.com',
      webhookId: 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      eventId: null,
      triggeredAt: '2026-11-20T10:00:00.000Z',
      receivedAt: '2026-11-20T10:00:01.000Z',
      apiVersion: '2026-10',
      payload: { id: 1 },
    };
    expect(webhookEnvelopeV1.parse(envelope)).toEqual(envelope);
    expect(webhookEnvelopeV1.safeParse({ ...envelope, version: 2 }).success).toBe(false);
    expect(webhookEnvelopeV1.safeParse({ ...envelope, shopDomain: 'evil.example.com' }).success).toBe(false);
  });

  it('validates sales events', () => {
    const event = {
      version: 1,
      eventId: '6f1c1a52-2a55-4a57-9d5e-8c7a1e0b9f10',
      type: 'sale.recorded',
      occurredAt: '2026-11-20T10:00:01.000Z',
      shopDomain: 'demo-label.myshopify.com',
      orderId: '820982911946154508',
      orderLineId: '866550311766439020',
      releaseId: 'rel_1',
      upc: '0602445790128',
      quantity: 1,
      unitPriceNet: '9.99',
      currency: 'USD',
      fan: { billingZip: '10001', billingCountry: 'US' },
    };
    expect(salesEventV1.parse(event)).toEqual(event);
    expect(salesEventV1.safeParse({ ...event, upc: '123' }).success).toBe(false);
    expect(salesEventV1.safeParse({ ...event, unitPriceNet: 9.99 }).success).toBe(false);
  });
});
