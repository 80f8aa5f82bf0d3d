import { buildSalesEvent, salesEventV1, unitAmounts } from '@single/contracts';
import { describe, expect, it } from 'vitest';
import { paidOrder, refundFixture } from '../test-support/fixtures.ts';
import { lineAmounts } from './line-amounts.ts';
import { orderSnapshot, refundCreated } from './payloads.ts';

// Amounts that would crash the handler or misreport (a negative discount makes net > gross, 1e-7 throws in the
// minor-unit arithmetic, 12345678901.25 overflowed PostgreSQL) are refused by the payload schema: the message is
// invalid and goes to the dead-letter queue with the reason, instead of failing inside the handler.

const order = (line: Record<string, unknown>, currency = 'USD') => {
  const fixture = paidOrder();
  return { ...fixture, currency, line_items: [{ ...fixture.line_items[0]!, ...line }] };
};
const issues = (payload: unknown) => {
  const result = orderSnapshot.safeParse(payload);
  return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
};

describe('order snapshot money', () => {
  it('refuses negative, exponent-written, oversized and over-precise amounts, naming the field', () => {
    expect(issues(order({ discount_allocations: [{ amount: '-5.00' }] }))).toEqual([
      'line_items.0.discount_allocations.0.amount',
    ]);
    expect(issues(order({ price: '-9.99' }))).toEqual(['line_items.0.price']);
    expect(issues(order({ price: 1e-7 }))).toEqual(['line_items.0.price']);
    expect(issues(order({ price: '12345678901.25' }))).toEqual(['line_items.0.price']);
    expect(issues(order({ tax_lines: [{ price: '-0.65' }] }))).toEqual(['line_items.0.tax_lines.0.price']);
    expect(issues(order({ price: '9.999' }))).toEqual(['line_items.0.price']);
  });

  it("takes amounts in the currency's own digits, written as strings or plain numbers", () => {
    expect(issues(order({ price: '1200.00', tax_lines: [] }, 'JPY'))).toEqual([]);
    expect(
      issues(order({ price: '1.234', discount_allocations: [{ amount: '0.105' }], tax_lines: [] }, 'KWD')),
    ).toEqual([]);
    expect(issues(order({ price: 9.99 }))).toEqual([]);
    expect(orderSnapshot.parse(order({ price: 9.99 })).line_items[0]!.price).toBe('9.99');
  });
});

describe('order snapshot bounds', () => {
  it('a line quantity is 0..10,000: 2147483648 and 50,000 are refused at the edge, not in the handler', () => {
    expect(issues(order({ quantity: 2147483648 }))).toEqual(['line_items.0.quantity']);
    expect(issues(order({ quantity: 50_000 }))).toEqual(['line_items.0.quantity']);
    expect(issues(order({ quantity: 10_000 }))).toEqual([]);
    expect(issues(order({ quantity: 0 }))).toEqual([]);
  });

  it('a refund line quantity is bounded the same way', () => {
    const refund = (quantity: number) =>
      refundCreated.safeParse({ ...refundFixture(), refund_line_items: [{ line_item_id: 13001001, quantity }] });
    expect(refund(2147483647).success).toBe(false);
    expect(refund(10_001).success).toBe(false);
    expect(refund(10_000).success).toBe(true);
  });

  it("a line's tax or discount total out of range is refused: two tax lines of 600000000.00 make a 10-digit unit tax", () => {
    expect(issues(order({ tax_lines: [{ price: '600000000.00' }, { price: '600000000.00' }] }))).toEqual([
      'line_items.0.tax_lines',
    ]);
    expect(
      issues(order({ discount_allocations: [{ amount: '999999999.99' }, { amount: '0.01' }], price: '999999999.99' })),
    ).toEqual(['line_items.0.discount_allocations']);
  });

  it('at the bounds, the producer still builds a valid sales.v1 event for every unit', () => {
    const snapshot = orderSnapshot.parse(
      order({
        quantity: 3,
        price: '999999999.99',
        tax_lines: [{ price: '599999999.99' }, { price: '400000000.00' }],
        discount_allocations: [{ amount: '999999999.99' }],
      }),
    );
    const amounts = lineAmounts(snapshot, snapshot.line_items[0]!);
    for (const unitIndex of [0, 1, 2]) {
      const unit = unitAmounts(amounts, unitIndex);
      const event = buildSalesEvent(
        'sale.recorded',
        {
          shopDomain: 'single-demo.myshopify.com',
          shopifyOrderId: snapshot.id,
          shopifyLineId: snapshot.line_items[0]!.id,
          unitIndex,
          releaseId: '11111111-1111-4111-8111-111111111111',
          upc: '0602445789012',
          isrc: null,
          unitPrice: amounts.price,
          lineQuantity: amounts.quantity,
          lineDiscount: amounts.discount,
          lineTax: amounts.tax,
          taxesIncluded: amounts.taxesIncluded,
          recordedGross: unit.gross,
          recordedDiscount: unit.discount,
          recordedTax: unit.tax,
          recordedNet: unit.net,
          currency: snapshot.currency,
          merchBundle: false,
          fanPack: false,
          email: null,
          billingZip: null,
          billingCountry: null,
          shippingZip: null,
          shippingCountry: null,
          browserIp: null,
          checkoutToken: null,
        },
        new Date(),
      );
      expect(salesEventV1.safeParse(event).success).toBe(true);
    }
  });

  it('refuses a currency code that is not ISO 4217 (ZZZ was taken as a 2-decimal currency)', () => {
    expect(issues(order({}, 'ZZZ'))).toEqual(['currency']);
    expect(issues(order({ price: '1200', tax_lines: [] }, 'JPY'))).toEqual([]);
  });
});
