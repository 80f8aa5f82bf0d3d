import { describe, expect, it } from 'vitest';
import { GENERIC_INSTALL_ERROR, INSTALL_ERRORS, installNotice } from '../web/install-notice.ts';

// The Stores page after the install round trip: what it announces comes from the account's shops, not the address.
describe('installNotice', () => {
  const shops = [
    { domain: 'band.myshopify.com', installState: 'installed' as const },
    { domain: 'gone.myshopify.com', installState: 'uninstalled' as const },
  ];

  it('announces a connected store only when the shops list shows it installed', () => {
    expect(installNotice({ connected: '1', shop: 'band.myshopify.com', error: null }, shops).connected).toBe(
      'band.myshopify.com',
    );
    for (const shop of ['evil.myshopify.com', 'gone.myshopify.com', 'Your account was hacked, call 555-0100']) {
      expect(installNotice({ connected: '1', shop, error: null }, shops).connected, shop).toBeNull();
    }
    // Before the list has loaded, nothing is announced.
    expect(installNotice({ connected: '1', shop: 'band.myshopify.com', error: null }, undefined).connected).toBeNull();
  });

  it('explains known error codes, and never shows an unknown one', () => {
    expect(installNotice({ connected: null, shop: null, error: 'invalid_state' }, shops).error).toBe(
      INSTALL_ERRORS.invalid_state,
    );
    const odd = installNotice({ connected: null, shop: null, error: 'visit evil.example to fix this' }, shops);
    expect(odd.error).toBe(GENERIC_INSTALL_ERROR);
    expect(installNotice({ connected: null, shop: null, error: null }, shops).error).toBeNull();
  });
});
