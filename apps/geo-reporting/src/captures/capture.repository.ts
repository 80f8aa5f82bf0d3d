import type { Pool } from 'pg';
import type { CaptureStore, GeoCaptureRecord } from './capture.service.ts';
import { MicroBatcher } from './micro-batcher.ts';

const COLUMNS = [
  'shop_domain',
  'checkout_token',
  'client_ip',
  'chain',
  'flags',
  'precision',
  'country',
  'region',
  'city',
  'postal',
  'latitude',
  'longitude',
  'accuracy_radius_km',
  'geo_db_build_date',
  'captured_at',
] as const;
const CASTS: Partial<Record<(typeof COLUMNS)[number], string>> = {
  chain: '::text[]',
  flags: '::text[]',
  precision: '::geo_precision',
  geo_db_build_date: '::date',
  captured_at: '::timestamptz',
};

function row(r: GeoCaptureRecord): unknown[] {
  return [
    r.shopDomain,
    r.checkoutToken,
    r.clientIp,
    r.chain,
    r.flags,
    r.precision,
    r.country,
    r.region,
    r.city,
    r.postal,
    r.latitude,
    r.longitude,
    r.accuracyRadiusKm,
    r.geoDbBuildDate,
    r.capturedAt,
  ];
}

/** Captures into geo_capture, many requests per INSERT (see MicroBatcher). */
export class PgCaptureStore implements CaptureStore {
  private readonly batcher: MicroBatcher<GeoCaptureRecord>;

  constructor(pool: Pool, maxBatch = 250) {
    this.batcher = new MicroBatcher(async (records) => {
      const values: unknown[] = [];
      const tuples = records.map((record, i) => {
        values.push(...row(record));
        const base = i * COLUMNS.length;
        return `(${COLUMNS.map((column, j) => `$${base + j + 1}${CASTS[column] ?? ''}`).join(',')})`;
      });
      await pool.query(`INSERT INTO geo_capture (${COLUMNS.join(',')}) VALUES ${tuples.join(',')}`, values);
    }, maxBatch);
  }

  save(record: GeoCaptureRecord): Promise<void> {
    return this.batcher.submit(record);
  }

  drained(): Promise<void> {
    return this.batcher.drained();
  }
}

/** For tests and the zero-setup demo. */
export class MemoryCaptureStore implements CaptureStore {
  readonly records: GeoCaptureRecord[] = [];
  async save(record: GeoCaptureRecord): Promise<void> {
    this.records.push(record);
  }
}
