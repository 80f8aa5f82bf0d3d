import type { Pool } from 'pg';
import type { CaptureStore, GeoCaptureRecord } from './capture.service.ts';
import { MicroBatcher } from './micro-batcher.ts';

// The whole batch travels as one JSON parameter and Postgres unpacks it (json arrays become text[]): one
// constant, prepared statement, one JSON.stringify per batch instead of 15 parameters per row to serialise.
// Short keys and the capture instant as epoch milliseconds: Date#toJSON was most of the serialising cost,
// and the keys most of the bytes (which pg writes and Postgres parses again).
const INSERT = {
  name: 'geo-capture-insert-batch-v2',
  text: `INSERT INTO geo_capture (shop_domain, checkout_token, client_ip, chain, flags, precision, country, region, city,
      postal, latitude, longitude, accuracy_radius_km, geo_db_build_date, captured_at)
    SELECT s, t, ip, ch, f, p, co, re, ci, po, la, lo, ar, bd, to_timestamp(at / 1000)
    FROM jsonb_to_recordset($1::jsonb) AS r(s text, t text, ip text, ch text[], f text[], p geo_precision, co text,
      re text, ci text, po text, la double precision, lo double precision, ar integer, bd date, at double precision)`,
};

function row(r: GeoCaptureRecord) {
  return {
    s: r.shopDomain,
    t: r.checkoutToken,
    ip: r.clientIp,
    ch: r.chain,
    f: r.flags,
    p: r.precision,
    co: r.country,
    re: r.region,
    ci: r.city,
    po: r.postal,
    la: r.latitude,
    lo: r.longitude,
    ar: r.accuracyRadiusKm,
    bd: r.geoDbBuildDate,
    at: r.capturedAt.getTime(),
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
