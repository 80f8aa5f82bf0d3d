import { describe, expect, it } from 'vitest';
import { currencyDigits, fromMinor, type LineAmounts, lineNet, toMinor, unitAmounts } from './unit-price.ts';

const line = (extra: Partial<LineAmounts>): LineAmounts => ({
  price: '9.99',
  quantity: 1,
  discount: '0.00',
  tax: '0.00',
  taxesIncluded: false,
  currency: 'USD',
  ...extra,
});
const units = (l: LineAmounts) => Array.from({ length: l.quantity }, (_, i) => unitAmounts(l, i));

describe('what the fan paid per unit', () => {
  it('spreads odd cents of a line discount over 3 units, the remainder to the first units', () => {
    const l = line({ price: '10.00', quantity: 3, discount: '1.00' });
    expect(units(l).map((u) => [u.discount, u.net])).toEqual([
      ['0.34', '9.66'],
      ['0.33', '9.67'],
      ['0.33', '9.67'],
    ]);
    expect(lineNet(l)).toBe('29.00');
    const two = line({ price: '10.00', quantity: 3, discount: '0.02' });
    expect(units(two).map((u) => u.discount)).toEqual(['0.01', '0.01', '0.00']);
  });

  it('excludes the tax when the shop prices include it (UK VAT, GBP), and never subtracts tax added on top', () => {
    const included = line({ price: '7.99', discount: '1.00', tax: '1.17', taxesIncluded: true, currency: 'GBP' });
    expect(unitAmounts(included, 0)).toEqual({ gross: '7.99', discount: '1.00', tax: '1.17', net: '5.82' });
    const onTop = line({ price: '9.99', quantity: 2, discount: '4.99', tax: '0.97' });
    expect(units(onTop)).toEqual([
      { gross: '9.99', discount: '2.50', tax: '0.49', net: '7.49' },
      { gross: '9.99', discount: '2.49', tax: '0.48', net: '7.50' },
    ]);
  });

  it('uses the currency minor units: JPY has none, KWD three', () => {
    expect(currencyDigits('JPY')).toBe(0);
    expect(currencyDigits('USD')).toBe(2);
    expect(currencyDigits('KWD')).toBe(3);
    // Shopify writes yen as "1500.00"; 100 yen off over 3 units is 34, 33, 33 yen, not 33.33.
    const yen = line({ price: '1500.00', quantity: 3, discount: '100.00', currency: 'JPY' });
    expect(units(yen).map((u) => [u.gross, u.discount, u.net])).toEqual([
      ['1500', '34', '1466'],
      ['1500', '33', '1467'],
      ['1500', '33', '1467'],
    ]);
    const dinar = line({ price: '3.500', quantity: 2, discount: '0.001', currency: 'KWD' });
    expect(units(dinar).map((u) => u.net)).toEqual(['3.499', '3.500']);
  });

  it('a 100 % discount leaves a net of exactly zero (and never below)', () => {
    expect(unitAmounts(line({ price: '10.99', discount: '10.99' }), 0).net).toBe('0.00');
    expect(unitAmounts(line({ price: '10.99', discount: '11.50' }), 0).net).toBe('0.00');
    expect(units(line({ price: '0.99', quantity: 3, discount: '2.97' })).map((u) => u.net)).toEqual([
      '0.00',
      '0.00',
      '0.00',
    ]);
  });

  it('parses decimal strings exactly, with no floating-point drift', () => {
    expect(toMinor('0.29', 2)).toBe(29); // 0.29 * 100 = 28.999999999999996 in floating point
    expect(toMinor('1200.00', 0)).toBe(1200);
    expect(toMinor('1.005', 2)).toBe(101);
    expect(toMinor('-4.99', 2)).toBe(-499);
    expect(fromMinor(5, 2)).toBe('0.05');
    expect(fromMinor(1200, 0)).toBe('1200');
    expect(() => toMinor('9,99', 2)).toThrow(RangeError);
  });
});
