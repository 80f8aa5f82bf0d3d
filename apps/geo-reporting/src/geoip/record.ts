import { regionCode } from './regions.ts';

export const GEO_PRECISIONS = ['postal', 'city', 'region', 'country', 'none'] as const;
export type GeoPrecision = (typeof GEO_PRECISIONS)[number];

/** A place as we store it. Coordinates only at city or postal precision: a region's or a country's centroid
 * is not where anybody is. */
export interface Place {
  precision: GeoPrecision;
  country: string | null;
  /** ISO 3166-2 subdivision code without the country prefix where known (WA), else the database's name. */
  region: string | null;
  city: string | null;
  postal: string | null;
  latitude: number | null;
  longitude: number | null;
  accuracyRadiusKm: number | null;
}

export const NOWHERE: Place = Object.freeze({
  precision: 'none',
  country: null,
  region: null,
  city: null,
  postal: null,
  latitude: null,
  longitude: null,
  accuracyRadiusKm: null,
}) as Place;

const text = (value: unknown): string | null =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

type Names = { names?: Record<string, unknown> };
/** MaxMind GeoIP2 / GeoLite2 City and Country layout. */
interface MaxMindRecord {
  country?: { iso_code?: unknown };
  registered_country?: { iso_code?: unknown };
  subdivisions?: ({ iso_code?: unknown } & Names)[];
  city?: Names;
  postal?: { code?: unknown };
  location?: { latitude?: unknown; longitude?: unknown; accuracy_radius?: unknown };
}
/** ip-location-db's flat layout (country_code, state1, state2, city, postcode, latitude, longitude, timezone). */
interface FlatRecord {
  country_code?: unknown;
  state1?: unknown;
  city?: unknown;
  postcode?: unknown;
  latitude?: unknown;
  longitude?: unknown;
}

export type PlaceFlag = 'country_centroid_dropped' | 'region_centroid_dropped';

/** Normalises a database record of either layout into a Place, dropping coordinates that are only a centroid. */
export function placeFromRecord(record: unknown): { place: Place; flags: PlaceFlag[] } {
  if (record === null || typeof record !== 'object') return { place: NOWHERE, flags: [] };
  const maxmind = record as MaxMindRecord;
  const flat = record as FlatRecord;
  let country: string | null;
  let region: string | null;
  let city: string | null;
  let postal: string | null;
  let latitude: number | null;
  let longitude: number | null;
  let accuracyRadiusKm: number | null = null;
  if ('country_code' in flat) {
    country = text(flat.country_code)?.toUpperCase() ?? null;
    const state = text(flat.state1);
    region = state && country ? regionCode(country, state) : state;
    city = text(flat.city);
    postal = text(flat.postcode);
    latitude = num(flat.latitude);
    longitude = num(flat.longitude);
  } else {
    // The represented country (where the address is used), never registered_country (who holds the block).
    country = text(maxmind.country?.iso_code)?.toUpperCase() ?? null;
    const subdivision = maxmind.subdivisions?.[0];
    region = text(subdivision?.iso_code) ?? text(subdivision?.names?.en);
    city = text(maxmind.city?.names?.en);
    postal = text(maxmind.postal?.code);
    latitude = num(maxmind.location?.latitude);
    longitude = num(maxmind.location?.longitude);
    accuracyRadiusKm = num(maxmind.location?.accuracy_radius);
  }
  if (country === null) return { place: NOWHERE, flags: [] };
  const precision: GeoPrecision = postal ? 'postal' : city ? 'city' : region ? 'region' : 'country';
  const flags: PlaceFlag[] = [];
  const located = precision === 'postal' || precision === 'city';
  if (!located && latitude !== null)
    flags.push(precision === 'country' ? 'country_centroid_dropped' : 'region_centroid_dropped');
  return {
    place: {
      precision,
      country,
      region,
      city,
      postal,
      latitude: located ? latitude : null,
      longitude: located ? longitude : null,
      accuracyRadiusKm: located ? accuracyRadiusKm : null,
    },
    flags,
  };
}
