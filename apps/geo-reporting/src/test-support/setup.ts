import { randomUUID } from 'node:crypto';
import type { Db } from '@single/db';
import { silentLogger } from '@single/logger';
import { compileTrustedProxies } from '@single/trusted-proxy';
import type pg from 'pg';
import { buildApp, type GeoReportingApp, type GeoReportingDeps } from '../app.ts';
import { MemoryCaptureStore } from '../captures/capture.repository.ts';
import { GeoIp } from '../geoip/geoip.ts';
import { IntegrityWindow } from '../integrity/integrity-window.ts';
import { Metrics } from '../integrity/metrics.ts';
import { SalesService } from '../sales/sales.service.ts';
import { geoipFixture } from './fixtures.ts';

// Set-up the geo-reporting tests share, so that each test file states only what it is about.

/** A loaded GeoIp over MaxMind's GeoIP2-City-Test database (or the paths given). */
export async function testGeoIp(paths: string[] = [geoipFixture('GeoIP2-City-Test')]): Promise<GeoIp> {
  const geo = new GeoIp(paths, { logger: silentLogger() });
  await geo.load();
  return geo;
}

/** buildApp with the test GeoIP, a trusted 10.0.0.0/16 proxy, captures in memory; `deps` overrides any of it. */
export async function buildTestApp(deps: Partial<GeoReportingDeps> = {}): Promise<GeoReportingApp> {
  return buildApp({
    logger: silentLogger(),
    geo: deps.geo ?? (await testGeoIp()),
    trusted: compileTrustedProxies(['10.0.0.0/16']),
    headerSource: 'x-forwarded-for',
    captureStore: new MemoryCaptureStore(),
    integrity: new IntegrityWindow({ windowSeconds: 60, threshold: 0.05, minSamples: 1 }),
    metrics: new Metrics(),
    attribution: 'test',
    rateLimit: { max: 100, windowMs: 60_000 },
    ...deps,
  });
}

/** An artist account (Night Harbour) with one release, Low Tide, out 2026-01-09 in New York. */
export async function seedRelease(pool: pg.Pool, release: { id: string; upc: string }): Promise<void> {
  const accountId = randomUUID();
  const artistId = randomUUID();
  await pool.query(`INSERT INTO account (id, kind, name, updated_at) VALUES ($1, 'artist', 'Night Harbour', now())`, [
    accountId,
  ]);
  await pool.query(`INSERT INTO artist (id, account_id, name, updated_at) VALUES ($1, $2, 'Night Harbour', now())`, [
    artistId,
    accountId,
  ]);
  await pool.query(
    `INSERT INTO release (id, artist_id, title, upc, release_instant, updated_at)
     VALUES ($1, $2, 'Low Tide', $3, '2026-01-09T05:00:00Z', now())`,
    [release.id, artistId, release.upc],
  );
}

/** SalesService as the runtime builds it (New York business days), silent, for the charts given. */
export function testSalesService(
  db: Db,
  pool: pg.Pool,
  geo: GeoIp,
  charts: readonly string[] = ['luminate'],
): SalesService {
  return new SalesService({ db, pool, geo, logger: silentLogger(), charts, reportTimeZone: 'America/New_York' });
}
