import type { Pool } from 'pg';
import type { CaptureStore, GeoCaptureRecord } from './capture.service.ts';
import { MicroBatcher } from './micro-batcher.ts';

// The whole batch travels as one JSON parameter and Postgres unpacks it (json arrays become text[]): one
// constant, prepared statement, one JSON.stringify per batch instead of 15 parameters per row to serialise.
const INSERT = {
  name: 'geo-capture-insert-batch',
  text: `INSERT INTO geo_capture (shop_domain, checkout_token, client_ip, chain, flags, precision, country, region, city,
      postal, latitude, longitude, accuracy_radius_km, geo_db_build_date, captured_at)
    SELECT shop_domain, checkout_token, client_ip, chain, flags, precision, country, region, city, postal, latitude,
      longitude, accuracy_radius_km, geo_db_build_date, captured_at
    FROM jsonb_to_recordset($1::jsonb) AS r(shop_domain text, checkout_token text, client_ip text, chain text[],
      flags text[], precision geo_precision, country text, region text, city text, postal text,
      latitude double precision, longitude double precision, accuracy_radius_km integer, geo_db_build_date date,
      captured_at timestamptz)`,
};

function row(r: GeoCaptureRecord) {
  return {
    shop_domain: r.shopDomain,
    checkout_token: r.checkoutToken,
    client_ip: r.clientIp,
    chain: r.chain,
    flags: r.flags,
    precision: r.precision,
    country: r.country,
    region: r.region,
    city: r.city,
    postal: r.postal,
    latitude: r.latitude,
    longitude: r.longitude,
    accuracy_radius_km: r.accuracyRadiusKm,
    geo_db_build_date: r.geoDbBuildDate,
    captured_at: r.capturedAt,
  };
}

/** Captures into geo_capture, many requests per INSERT (see MicroBatcher). */
export class PgCaptureStore implements CaptureStore {
  private readonly batcher: MicroBatcher<GeoCaptureRecord>;

  constructor(pool: Pool, maxBatch = 500) {
    this.batcher = new MicroBatcher(async (records) => {
      await pool.query({ ...INSERT, values: [JSON.stringify(records.map(row))] });
    }, maxBatch);
  }

  save(record: GeoCaptureRecord): Promise<void> {
    return this.batcher.submit(record);
  }

  drained(): Promise<void> {
    return this.batcher.drained();
  }
}

/** Captures hold client IPs (personal data): they are kept only as long as sales may still need them. */
export async function purgeCapturesOlderThan(pool: Pool, days: number): Promise<number> {
  const { rowCount } = await pool.query(
    'DELETE FROM geo_capture WHERE captured_at < now() - make_interval(days => $1)',
    [days],
  );
  return rowCount ?? 0;
}

/** For tests and the zero-setup demo. */
export class MemoryCaptureStore implements CaptureStore {
  readonly records: GeoCaptureRecord[] = [];
  async save(record: GeoCaptureRecord): Promise<void> {
    this.records.push(record);
  }
}
