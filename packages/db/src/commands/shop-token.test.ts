import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openShopToken, parseShopTokenKeys, ShopTokenError, sealShopToken } from './shop-token.ts';

const k1 = randomBytes(32).toString('base64');
const k2 = randomBytes(32).toString('base64');
const SHOP = 'band.myshopify.com';

describe('shop token sealing', () => {
  it('seals with the first key, stores its id, and never holds the token in clear', () => {
    const keys = parseShopTokenKeys(`new:${k2}, old:${k1}`);
    const sealed = sealShopToken('shpat_abc123', SHOP, keys);
    expect(sealed).toMatch(/^v1\.new\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain('shpat_abc123');
    expect(openShopToken(sealed, SHOP, keys)).toBe('shpat_abc123');
  });

  it('opens tokens sealed by an older key still in the ring (rotation)', () => {
    const sealed = sealShopToken('shpat_old', SHOP, parseShopTokenKeys(`old:${k1}`));
    expect(openShopToken(sealed, SHOP, parseShopTokenKeys(`new:${k2},old:${k1}`))).toBe('shpat_old');
  });

  it('refuses a token copied to another shop, a tampered one, an unknown key, and clear text', () => {
    const keys = parseShopTokenKeys(`k:${k1}`);
    const sealed = sealShopToken('shpat_x', SHOP, keys);
    expect(() => openShopToken(sealed, 'other.myshopify.com', keys)).toThrow(ShopTokenError);
    const tampered = `${sealed.slice(0, -2)}${sealed.endsWith('AA') ? 'AB' : 'AA'}`;
    expect(() => openShopToken(tampered, SHOP, keys)).toThrow(ShopTokenError);
    expect(() => openShopToken(sealed, SHOP, parseShopTokenKeys(`j:${k2}`))).toThrow(/key "k" is not configured/);
    expect(() => openShopToken('shpat_x', SHOP, keys)).toThrow(/not a sealed/);
  });

  it('refuses malformed key lists without printing the key', () => {
    expect(() => parseShopTokenKeys('k:c2hvcnQ=')).toThrow(/32 bytes/);
    expect(() => parseShopTokenKeys(`k:${k1},k:${k2}`)).toThrow(/unique/);
    expect(() => parseShopTokenKeys(k1)).toThrow(/<id>:<base64/);
    try {
      parseShopTokenKeys(`bad id:${k1}`);
    } catch (err) {
      expect(String(err)).not.toContain(k1);
    }
  });
});
