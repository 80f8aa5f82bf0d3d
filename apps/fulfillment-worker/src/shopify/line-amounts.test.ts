import { readFileSync } from 'node:fs';
import { unitAmounts } from '@single/contracts';
import { sharedFixture } from '@single/testing';
import { describe, expect, it } from 'vitest';
import { lineAmounts } from './line-amounts.ts';
import { orderSnapshot } from './payloads.ts';

const order = (name: string) =>
  orderSnapshot.parse(JSON.parse(readFileSync(sharedFixture(`shopify/${name}`), 'utf8')) as unknown);

/** Every unit of every line of a Shopify order: [line id, unit index, gross, discount, tax, net]. */
function unitsOf(name: string) {
  const snapshot = order(name);
  return snapshot.line_items.flatMap((line) => {
    const amounts = lineAmounts(snapshot, line);
    return Array.from({ length: line.quantity }, (_, i) => {
      const u = unitAmounts(amounts, i);
      return [line.id, i, u.gross, u.discount, u.tax, u.net];
    });
  });
}

describe("a Shopify line's units, as the charts see them", () => {
  it('discount code, tax on top (US): the 4.99 off two copies is 2.50 + 2.49, tax never in the net; 100 % off nets 0', () => {
    expect(unitsOf('orders-paid-discounted.json')).toEqual([
      ['13002001', 0, '9.99', '2.50', '0.49', '7.49'],
      ['13002001', 1, '9.99', '2.49', '0.48', '7.50'],
      ['13002002', 0, '10.99', '10.99', '0.00', '0.00'],
    ]);
  });

  it('UK shop, VAT included (GBP): 7.99 less 1.00 off less 1.17 VAT is 5.82', () => {
    expect(unitsOf('orders-paid-tax-included.json')).toEqual([['13003001', 0, '7.99', '1.00', '1.17', '5.82']]);
  });

  it('an order without discounts or taxes nets the list price', () => {
    expect(unitsOf('orders-paid.json').map(([id, , gross, , , net]) => [id, gross, net])).toEqual([
      ['13001001', '9.99', '9.99'],
      ['13001002', '10.99', '10.99'],
      ['13001003', '34.00', '34.00'],
    ]);
  });
});
