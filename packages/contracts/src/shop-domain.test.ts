import { describe, expect, it } from 'vitest';
import { MYSHOPIFY_DOMAIN } from './shop-domain.ts';

describe('MYSHOPIFY_DOMAIN', () => {
  it('takes one lower-case DNS label under myshopify.com', () => {
    for (const good of [
      'band-1.myshopify.com',
      'a.myshopify.com',
      '1.myshopify.com',
      `${'a'.repeat(63)}.myshopify.com`,
    ])
      expect(MYSHOPIFY_DOMAIN.test(good), good).toBe(true);
  });

  it('refuses hyphens at either end, long labels, capitals, sub-labels and other hosts', () => {
    for (const bad of [
      'a-.myshopify.com',
      '-a.myshopify.com',
      'band--.myshopify.com',
      `${'a'.repeat(64)}.myshopify.com`,
      'Band.myshopify.com',
      'a.b.myshopify.com',
      '.myshopify.com',
      'band.myshopify.com.evil.com',
      'band.myshopify.com/',
      'band.myshopify.com\n',
      'band.shopify.com',
      'band_1.myshopify.com',
    ])
      expect(MYSHOPIFY_DOMAIN.test(bad), JSON.stringify(bad)).toBe(false);
  });
});
