import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MYSHOPIFY_DOMAIN, verifyQueryHmac } from './shopify-app.ts';

const SECRET = 'shpss_test_secret';
const sign = (message: string) => createHmac('sha256', SECRET).update(message).digest('hex');

describe('verifyQueryHmac', () => {
  // The example of Shopify's documentation shape: parameters sorted, hmac left out, form-encoded.
  const message = 'code=0907a61c0c8d55e99db179b68161bc00&shop=band.myshopify.com&state=abc&timestamp=1337178173';

  it('accepts the query Shopify signed, in any parameter order', () => {
    const hmac = sign(message);
    expect(
      verifyQueryHmac(
        `shop=band.myshopify.com&hmac=${hmac}&timestamp=1337178173&state=abc&code=0907a61c0c8d55e99db179b68161bc00`,
        SECRET,
      ),
    ).toBe(true);
  });

  it('refuses a changed parameter, another secret, a missing or malformed hmac, and repeated parameters', () => {
    const hmac = sign(message);
    expect(verifyQueryHmac(`${message.replace('band', 'evil')}&hmac=${hmac}`, SECRET)).toBe(false);
    expect(
      verifyQueryHmac(`${message}&hmac=${createHmac('sha256', 'other').update(message).digest('hex')}`, SECRET),
    ).toBe(false);
    expect(verifyQueryHmac(message, SECRET)).toBe(false);
    expect(verifyQueryHmac(`${message}&hmac=zz`, SECRET)).toBe(false);
    expect(verifyQueryHmac(`${message}&state=abc&hmac=${hmac}`, SECRET)).toBe(false);
  });

  it('signs decoded values re-encoded as a form (a space, an ampersand)', () => {
    const hmac = sign('a=x+y%26z&shop=band.myshopify.com');
    expect(verifyQueryHmac(`shop=band.myshopify.com&a=x%20y%26z&hmac=${hmac}`, SECRET)).toBe(true);
  });
});

describe('MYSHOPIFY_DOMAIN', () => {
  it('takes one lower-case label under myshopify.com only', () => {
    expect(MYSHOPIFY_DOMAIN.test('band-1.myshopify.com')).toBe(true);
    expect(MYSHOPIFY_DOMAIN.test('a.myshopify.com')).toBe(true);
    expect(MYSHOPIFY_DOMAIN.test(`${'a'.repeat(63)}.myshopify.com`)).toBe(true);
    for (const bad of [
      'a-.myshopify.com',
      'band--.myshopify.com',
      `${'a'.repeat(64)}.myshopify.com`,
      'Band.myshopify.com',
      'a.b.myshopify.com',
      'band.myshopify.com.evil.com',
      'evil.com',
      '-x.myshopify.com',
      'band.myshopify.com/',
      'band.shopify.com',
    ]) {
      expect(MYSHOPIFY_DOMAIN.test(bad), bad).toBe(false);
    }
  });
});
