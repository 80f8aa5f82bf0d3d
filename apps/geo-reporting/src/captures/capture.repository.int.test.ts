import { createTestDatabase, type TestDatabase } from '@single/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOWHERE } from '../geoip/record.ts';
import { MILTON_WA } from '../test-support/fixtures.ts';
import { PgCaptureStore } from './capture.repository.ts';
import type { GeoCaptureRecord } from './capture.service.ts';

// The batch INSERT packs each record into compact JSON (short keys, epoch milliseconds): every field must
// come back out of geo_capture as it went in.
describe('PgCaptureStore', () => {
  let database: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 3 });
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  const located: GeoCaptureRecord = {
    shopDomain: 'single-demo.myshopify.com',
    checkoutToken: 'c1a2b3c4d5e6f708192a3b4c5d6e7f80',
    clientIp: '2001:480:10::beef',
    chain: ['10.42.1.7', '10.0.1.34', '2001:480:10::beef'],
    flags: ['multiple_header_lines'],
    ...MILTON_WA,
    geoDbBuildDate: '2026-02-04',
    capturedAt: new Date('2026-03-02T15:00:00.123Z'),
  };
  const unlocated: GeoCaptureRecord = {
    shopDomain: 'other-shop.myshopify.com',
    checkoutToken: 'tok_12345678',
    clientIp: null,
    chain: ['10.0.1.34'],
    flags: ['xff_missing'],
    ...NOWHERE,
    geoDbBuildDate: null,
    capturedAt: new Date('2026-03-02T15:00:00.999Z'),
  };

  // No usable socket peer and no flag: empty lists must come back empty (not null, not [""]).
  const empty: GeoCaptureRecord = {
    ...unlocated,
    checkoutToken: 'tok_empty_lists',
    chain: [],
    flags: [],
    capturedAt: new Date('2026-03-02T15:00:01.500Z'),
  };

  it('stores every field of a batch as given, the capture instant to the millisecond', async () => {
    const store = new PgCaptureStore(pool);
    await Promise.all([store.save(located), store.save(unlocated), store.save(empty)]);
    const { rows } = await pool.query(
      `SELECT shop_domain AS "shopDomain", checkout_token AS "checkoutToken", client_ip AS "clientIp", chain, flags,
              precision, country, region, city, postal, latitude, longitude, accuracy_radius_km AS "accuracyRadiusKm",
              to_char(geo_db_build_date, 'YYYY-MM-DD') AS "geoDbBuildDate", captured_at AS "capturedAt"
       FROM geo_capture ORDER BY captured_at`,
    );
    expect(rows).toEqual([located, unlocated, empty]);
  });
});
