import { silentLogger } from '@single/logger';
import { beforeAll, describe, expect, it } from 'vitest';
import { GeoIp } from '../geoip/geoip.ts';
import { NOWHERE } from '../geoip/record.ts';
import { geoipFixture } from '../test-support/fixtures.ts';
import { locateSale, normalisePostal } from './locate.ts';

let geo: GeoIp;
beforeAll(async () => {
  geo = new GeoIp([geoipFixture('GeoIP2-City-Test')], { logger: silentLogger() });
  await geo.load();
});
const lookupIp = (ip: string) => geo.lookup(ip);
const london = {
  place: { ...NOWHERE, precision: 'city' as const, country: 'GB', region: 'ENG', city: 'London' },
  flags: [],
};

describe('locateSale precedence: shipping > billing > capture > browser_ip > none', () => {
  const everything = {
    shippingZip: '98354-1234',
    shippingCountry: 'US',
    shippingProvince: 'WA',
    billingZip: '10001',
    billingCountry: 'US',
    browserIp: '81.2.69.142',
    checkoutToken: 'tok_12345678',
  };

  it('uses the shipping address first, at postal precision with the US ZIP cut to 5 digits', () => {
    expect(locateSale({ fan: everything, capture: london, lookupIp })).toEqual({
      source: 'shipping_address',
      place: { ...NOWHERE, precision: 'postal', country: 'US', region: 'WA', postal: '98354' },
      flags: [],
    });
  });

  it('skips the shipping address when the lines are not physical', () => {
    const located = locateSale({ fan: everything, capture: london, lookupIp, shippingIsPhysical: false });
    expect(located).toMatchObject({ source: 'billing_address', place: { postal: '10001', precision: 'postal' } });
  });

  it('falls to billing when shipping is redacted or absent', () => {
    const fan = { ...everything, shippingZip: undefined, shippingCountry: undefined };
    expect(locateSale({ fan, capture: london, lookupIp }).source).toBe('billing_address');
  });

  it('falls to the checkout capture when no address names a country', () => {
    const fan = { billingZip: '10001', browserIp: '216.160.83.56' };
    expect(locateSale({ fan, capture: london, lookupIp })).toEqual({
      source: 'geo_capture',
      place: london.place,
      flags: [],
    });
  });

  it('falls to browser_ip when the capture has no place, flagging that', () => {
    const capture = { place: NOWHERE, flags: ['xff_missing'] };
    const located = locateSale({ fan: { browserIp: '216.160.83.56' }, capture, lookupIp });
    expect(located).toMatchObject({
      source: 'browser_ip',
      place: { city: 'Milton', postal: '98354', precision: 'postal' },
    });
    expect(located.flags).toEqual(['capture_unlocated']);
  });

  it('reports a sale with nothing usable as located nowhere, flagged, never at an internal address', () => {
    expect(locateSale({ fan: { browserIp: '10.0.0.1' }, capture: null, lookupIp })).toEqual({
      source: 'none',
      place: NOWHERE,
      flags: ['browser_ip_special', 'location_missing'],
    });
    expect(locateSale({ fan: {}, capture: null, lookupIp })).toMatchObject({
      source: 'none',
      flags: ['location_missing'],
    });
  });

  it('keeps a country-only browser_ip at country precision without its centroid', () => {
    const located = locateSale({ fan: { browserIp: '2a02:cf40::1' }, capture: null, lookupIp });
    expect(located).toMatchObject({
      source: 'browser_ip',
      place: { precision: 'country', country: 'NO', latitude: null },
    });
    expect(located.flags).toContain('country_centroid_dropped');
  });

  it('uses an address with only a country at country precision', () => {
    expect(locateSale({ fan: { billingCountry: 'ca' }, capture: london, lookupIp })).toMatchObject({
      source: 'billing_address',
      place: { precision: 'country', country: 'CA', postal: null },
    });
  });
});

describe('normalisePostal', () => {
  it.each([
    ['US', '98354', '98354'],
    ['US', '98354-1234', '98354'],
    ['US', '983541234', '98354'],
    ['US', 'ABCDE', null],
    ['CA', 'v6b 1a1', 'V6B 1A1'],
  ] as const)('%s %s -> %s', (country, zip, expected) => {
    expect(normalisePostal(country, zip)).toBe(expected);
  });
});
