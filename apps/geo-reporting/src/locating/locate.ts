import type { GeoResult } from '../geoip/geoip.ts';
import { NOWHERE, type Place } from '../geoip/record.ts';

export const LOCATION_SOURCES = ['shipping_address', 'billing_address', 'geo_capture', 'browser_ip', 'none'] as const;
export type LocationSource = (typeof LOCATION_SOURCES)[number];

/** What a sale event tells about the fan's whereabouts (sales.v1 `fan`, provinces when the producer has them). */
export interface SaleFan {
  shippingZip?: string | undefined;
  shippingCountry?: string | undefined;
  shippingProvince?: string | undefined;
  billingZip?: string | undefined;
  billingCountry?: string | undefined;
  billingProvince?: string | undefined;
  browserIp?: string | undefined;
  checkoutToken?: string | undefined;
}

export interface Located {
  source: LocationSource;
  place: Place;
  flags: string[];
}

const clean = (value: string | undefined): string | null => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : null;
};

/** A US ZIP as its 5 digits (ZIP+4 cut); other postal codes upper-cased with inner spaces kept. */
export function normalisePostal(country: string, zip: string): string | null {
  const value = zip.trim().toUpperCase();
  if (country === 'US') return /^(\d{5})(-?\d{4})?$/.exec(value)?.[1] ?? null;
  return value.length > 0 && value.length <= 12 ? value : null;
}

/** An address counts when it names a country (Shopify redacts fields without protected-data approval). */
export function placeFromAddress(zip?: string, country?: string, province?: string): Place | null {
  const code = clean(country)?.toUpperCase();
  if (!code || !/^[A-Z]{2}$/.test(code)) return null;
  const postal = clean(zip) ? normalisePostal(code, zip!) : null;
  const region = clean(province)?.toUpperCase() ?? null;
  return {
    ...NOWHERE,
    precision: postal ? 'postal' : region ? 'region' : 'country',
    country: code,
    region,
    postal,
  };
}

export interface LocateInput {
  fan: SaleFan;
  /** The latest located capture of the sale's checkout (shopDomain + checkoutToken), if any. */
  capture: { place: Place; flags: readonly string[] } | null;
  lookupIp: (ip: string) => GeoResult;
  /**
   * The shipping address describes where the fan is only when something physical ships to it; Shopify sends
   * one only when a line requires shipping, so by default it is trusted when present.
   */
  shippingIsPhysical?: boolean;
}

/**
 * Where the fan bought, by precedence: shipping address (physical lines) > billing address > the checkout's
 * geo capture (client IP through trusted proxies) > the order's browser_ip > none. A sale with no location is
 * still reported, flagged `location_missing`.
 */
export function locateSale({ fan, capture, lookupIp, shippingIsPhysical = true }: LocateInput): Located {
  const flags: string[] = [];
  const shipping = shippingIsPhysical
    ? placeFromAddress(fan.shippingZip, fan.shippingCountry, fan.shippingProvince)
    : null;
  if (shipping) return { source: 'shipping_address', place: shipping, flags };
  const billing = placeFromAddress(fan.billingZip, fan.billingCountry, fan.billingProvince);
  if (billing) return { source: 'billing_address', place: billing, flags };
  if (capture && capture.place.precision !== 'none') {
    return { source: 'geo_capture', place: capture.place, flags: [...capture.flags] };
  }
  if (capture) flags.push('capture_unlocated');
  const browserIp = clean(fan.browserIp);
  if (browserIp) {
    const result = lookupIp(browserIp);
    if (result.place.precision !== 'none')
      return { source: 'browser_ip', place: result.place, flags: [...flags, ...result.flags] };
    flags.push(...result.flags.map((flag) => `browser_ip_${flag.replace(/^ip_/, '')}`));
  }
  return { source: 'none', place: NOWHERE, flags: [...flags, 'location_missing'] };
}
