import { describe, expect, it } from 'vitest';
import { paidOrder } from '../test-support/fixtures.ts';
import { orderSnapshot } from './payloads.ts';

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
