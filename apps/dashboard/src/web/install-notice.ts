import type { Shop } from './types.ts';

// What each refusal of the install means to the artist: codes of the BFF, of the artist API's install route and
// of its callback (Shopify's redirect back). Only these are shown; anything else in the address gets the
// generic sentence, so a crafted link cannot put its own words on the page.
export const INSTALL_ERRORS: Record<string, string> = {
  invalid_shop_domain: 'Enter the store’s myshopify.com domain, e.g. your-store.myshopify.com.',
  insufficient_scope: 'Connecting a store needs an API key with the admin scope. Sign in with one.',
  shop_connected_to_another_account: 'This store is connected to another account.',
  shopify_not_configured: 'Connecting Shopify stores is not set up on this server.',
  artist_api_unreachable: 'The service did not answer. Try again in a moment.',
  artist_api_error: 'The service could not start the connection. Try again in a moment.',
  invalid_hmac: 'Shopify’s answer could not be verified. Start again.',
  invalid_callback: 'Shopify’s answer was incomplete. Start again.',
  invalid_state: 'This connection attempt was used already or is unknown. Start again.',
  state_expired: 'The connection took too long to approve. Start again.',
  state_shop_mismatch: 'Shopify answered for another store than the one entered. Start again.',
  state_account_mismatch: 'This connection was started by another account. Start again from your dashboard.',
  code_rejected: 'Shopify refused the approval. Start again.',
  shopify_unavailable: 'Shopify did not answer. Try again in a moment.',
};

export const GENERIC_INSTALL_ERROR = 'The store could not be connected. Try again.';

export interface InstallNotice {
  /** The store to announce as connected: only one the account's shops list shows installed. */
  connected: string | null;
  error: string | null;
}

/** What the Stores page says after a round trip, from its query string and the account's shops. */
export function installNotice(
  params: { connected: string | null; shop: string | null; error: string | null },
  shops: readonly Pick<Shop, 'domain' | 'installState'>[] | undefined,
): InstallNotice {
  const shop = params.shop?.trim().toLowerCase() ?? '';
  const listed = shops?.some((s) => s.domain === shop && s.installState === 'installed') ?? false;
  return {
    connected: params.connected === '1' && shop && listed ? shop : null,
    error: params.error ? (INSTALL_ERRORS[params.error] ?? GENERIC_INSTALL_ERROR) : null,
  };
}
