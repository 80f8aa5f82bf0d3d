import { describe, expect, it } from 'vitest';
import { isShopAuthorizeUrl } from './connect-store.routes.ts';

describe('isShopAuthorizeUrl', () => {
  const shop = 'band.myshopify.com';
  const production = 'https://{shop}';

  it("takes Shopify's authorization page of the shop, over https", () => {
    expect(isShopAuthorizeUrl(`https://${shop}/admin/oauth/authorize?client_id=x&state=y`, shop, production)).toBe(
      true,
    );
  });

  it('refuses another scheme, host, port, path or user info', () => {
    for (const url of [
      `http://${shop}/admin/oauth/authorize?state=y`,
      'https://evil.example/admin/oauth/authorize',
      `https://${shop}.evil.example/admin/oauth/authorize`,
      `https://other.myshopify.com/admin/oauth/authorize`,
      `https://${shop}:8443/admin/oauth/authorize`,
      `https://${shop}/admin/oauth/authorize/../../logout`,
      `https://${shop}/elsewhere`,
      `https://user:pw@${shop}/admin/oauth/authorize`,
      'javascript:alert(1)',
      'not a url',
    ]) {
      expect(isShopAuthorizeUrl(url, shop, production), url).toBe(false);
    }
  });

  it('follows the template of a local fake Shopify in tests', () => {
    const fake = 'http://127.0.0.1:4321/{shop}';
    expect(isShopAuthorizeUrl(`http://127.0.0.1:4321/${shop}/admin/oauth/authorize?s=1`, shop, fake)).toBe(true);
    expect(isShopAuthorizeUrl(`http://127.0.0.1:4321/other.myshopify.com/admin/oauth/authorize`, shop, fake)).toBe(
      false,
    );
  });
});
