import { describe, expect, it } from 'vitest';
import { bigintIdOrNull } from './bigint-id.ts';

describe('bigintIdOrNull', () => {
  it('keeps ids written as PostgreSQL prints a bigint, up to both ends of int64', () => {
    for (const id of ['0', '7', '8000000001', '-5', '9223372036854775807', '-9223372036854775808']) {
      expect(bigintIdOrNull(id)).toBe(id);
    }
  });

  it('refuses what a bigint column never prints: padding, signs, spaces, exponents, overflow, other ids', () => {
    for (const id of [
      '',
      '007',
      '+7',
      ' 7',
      '7 ',
      '1e3',
      '0x10',
      '-0',
      '9223372036854775808',
      '-9223372036854775809',
      '12345678901234567890',
      '1.0',
      'gid://shopify/Order/1',
      '0b9c2d3e-0000-4000-8000-000000000000',
    ]) {
      expect(bigintIdOrNull(id)).toBeNull();
    }
  });
});
