import { createHmac, timingSafeEqual } from 'node:crypto';

const SHA256_BYTES = 32;
const BASE64 = /^[A-Za-z0-9+/]{43}=$/;

/**
 * Shopify signs the raw body bytes with the app's client secret. Several secrets may be valid at once
 * while a rotation overlaps; every candidate is computed so timing does not reveal which one matched.
 */
export function verifyShopifyHmac(rawBody: Buffer, signature: string | undefined, secrets: readonly string[]): boolean {
  if (!signature || !BASE64.test(signature)) return false;
  const given = Buffer.from(signature, 'base64');
  if (given.length !== SHA256_BYTES) return false;
  let matched = false;
  for (const secret of secrets) {
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    if (timingSafeEqual(expected, given)) matched = true;
  }
  return matched;
}

export function signShopifyBody(rawBody: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('base64');
}
