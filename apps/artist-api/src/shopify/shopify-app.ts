import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ShopTokenKeyring } from '@single/db/commands/shop-token';

/** The Shopify app this platform is (Partner dashboard), as the OAuth install needs it. */
export interface ShopifyAppSettings {
  /** The app's client id (API key). */
  clientId: string;
  /** The app's client secret: signs the callback query (and the webhooks the dispatcher verifies). */
  clientSecret: string;
  /** Access scopes requested at install, comma-separated as Shopify writes them. */
  scopes: string;
  /**
   * Where Shopify sends the merchant back (must be an allowed redirect): the dashboard's `/shopify/callback`, which
   * forwards the query to this API's `/v1/shopify/callback` with the key of the browser's session.
   */
  redirectUri: string;
  /** The webhook dispatcher's public URL (`.../webhooks/shopify`), the address of every subscription. */
  webhookUrl: string;
  /** Admin API version for the subscriptions (as the worker's). */
  apiVersion: string;
  /** The shop's origin; `{shop}` is replaced. https://{shop} except against a local fake Shopify. */
  shopOriginTemplate: string;
  /** Seals the offline token before it is stored. */
  tokenKeys: ShopTokenKeyring;
  /** How long an install link's state is accepted. */
  stateTtlMs: number;
  timeoutMs?: number;
}

/** The only hosts the install talks to (@single/contracts' one definition of a shop's domain). */
export { MYSHOPIFY_DOMAIN } from '@single/contracts';

export const shopOrigin = (settings: ShopifyAppSettings, shop: string) =>
  settings.shopOriginTemplate.replace('{shop}', shop);

/** The authorization URL the merchant is sent to (offline access: no per-user grant option). */
export function installUrl(settings: ShopifyAppSettings, shop: string, state: string): string {
  const url = new URL(`${shopOrigin(settings, shop)}/admin/oauth/authorize`);
  url.search = new URLSearchParams({
    client_id: settings.clientId,
    scope: settings.scopes,
    redirect_uri: settings.redirectUri,
    state,
  }).toString();
  return url.toString();
}

/**
 * Shopify's signature of a redirect's query: hex HMAC-SHA256, with the app's client secret, of every other
 * parameter (`hmac` and the legacy `signature` left out) sorted by name and form-encoded as `k=v&k=v`, the way
 * Shopify's own libraries rebuild it. A repeated parameter makes the query ambiguous and is refused. The
 * comparison is timing-safe.
 */
export function verifyQueryHmac(rawQuery: string, secret: string): boolean {
  const params = new URLSearchParams(rawQuery);
  const names = [...params.keys()];
  if (new Set(names).size !== names.length) return false;
  const given = params.get('hmac');
  if (!given || !/^[0-9a-f]{64}$/i.test(given)) return false;
  const rest = names
    .filter((name) => name !== 'hmac' && name !== 'signature')
    .sort()
    .map((name) => [name, params.get(name) ?? ''] as [string, string]);
  const message = new URLSearchParams(rest).toString();
  const expected = createHmac('sha256', secret).update(message).digest();
  return timingSafeEqual(expected, Buffer.from(given, 'hex'));
}
