import type { ArtistApiConfig } from '../config.ts';
import type { ShopifyAppSettings } from './shopify-app.ts';

/**
 * The Shopify app settings from the configuration: undefined when none is given (connecting stores is off), an
 * error naming what is missing when only some are, so a half-configured install never starts.
 */
export function shopifySettingsFrom(config: ArtistApiConfig): ShopifyAppSettings | undefined {
  const given = {
    SHOPIFY_CLIENT_ID: config.SHOPIFY_CLIENT_ID,
    SHOPIFY_CLIENT_SECRET: config.SHOPIFY_CLIENT_SECRET,
    SHOPIFY_WEBHOOK_URL: config.SHOPIFY_WEBHOOK_URL,
    SHOP_TOKEN_KEYS: config.SHOP_TOKEN_KEYS.length > 0 ? config.SHOP_TOKEN_KEYS : undefined,
  };
  const missing = Object.entries(given)
    .filter(([, v]) => v === undefined)
    .map(([k]) => k);
  if (missing.length === 4) return undefined;
  if (missing.length > 0) throw new Error(`Shopify app settings incomplete: set ${missing.join(', ')}`);
  return {
    clientId: config.SHOPIFY_CLIENT_ID!,
    clientSecret: config.SHOPIFY_CLIENT_SECRET!,
    scopes: config.SHOPIFY_SCOPES,
    // Shopify sends the merchant's browser back to the dashboard (SHOPIFY_INSTALL_RETURN_URL's origin), whose BFF
    // checks that this browser started the install before it forwards the query here with its key. Without a
    // dashboard, to this API's own callback: whoever calls it must bring a key of the account that asked.
    redirectUri: config.SHOPIFY_INSTALL_RETURN_URL
      ? new URL('/shopify/callback', config.SHOPIFY_INSTALL_RETURN_URL).toString()
      : new URL('/v1/shopify/callback', config.PUBLIC_BASE_URL).toString(),
    webhookUrl: config.SHOPIFY_WEBHOOK_URL!,
    apiVersion: config.SHOPIFY_ADMIN_API_VERSION,
    shopOriginTemplate: config.SHOPIFY_SHOP_ORIGIN_TEMPLATE,
    tokenKeys: config.SHOP_TOKEN_KEYS,
    stateTtlMs: config.SHOPIFY_INSTALL_STATE_TTL_SECONDS * 1000,
  };
}
