import { randomBytes, randomUUID } from 'node:crypto';
import { loadConfig } from '@single/config';
import type { Db } from '@single/db';
import { silentLogger } from '@single/logger';
import { createTestDatabase, type TestDatabase } from '@single/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeoReportingApp } from '../app.ts';
import type { SaleLineRow } from '../charts/eligibility.ts';
import { LUMINATE_VERSIONS } from '../charts/rules.ts';
import { geoReportingEnv } from '../config.ts';
import { seedChartRules, upsertSaleLines } from '../sales/sales.repository.ts';
import { createWarmDb } from '../support/db.ts';
import { buildTestApp } from '../test-support/setup.ts';
import { runChartFileJob } from './chart-file-job.ts';

// Chart files are made by the scheduled job (the chart's CronJob, after New York midnight), not by a GET: before,
// asking for a date built the file and inserted a report_file row on the spot.
describe('chart files: produced by the job, served by GET', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: Db;
  let built: GeoReportingApp;
  const TOKEN = randomBytes(32).toString('hex');
  const auth = { authorization: `Bearer ${TOKEN}` };
  // Noon UTC on Dec 7: Dec 7 in New York, so Dec 6 is the last closed business day.
  let clock = new Date('2026-12-07T12:00:00Z');
  const config = (catchUpDays: number) =>
    loadConfig(geoReportingEnv, {
      DATABASE_URL: database.url,
      KAFKA_BROKERS: '127.0.0.1:9092',
      LUMINATE_RETAILER_ACCOUNT: 'SINGLE-TEST',
      CHART_FILE_CATCH_UP_DAYS: String(catchUpDays),
    });

  const unit = (day: string, orderId: string, unitIndex: number): SaleLineRow => ({
    id: randomUUID(),
    chart: 'luminate',
    kind: 'sale',
    eligibility: 'eligible',
    reasonCode: null,
    shopDomain: 'single-demo.myshopify.com',
    orderId,
    orderLineId: `${orderId}1`,
    unitIndex,
    releaseId: randomUUID(),
    upc: '0602445789012',
    isrc: null,
    zip: '98354',
    country: 'US',
    quantity: 1,
    netPrice: '9.99',
    currency: 'USD',
    occurredAt: new Date(`${day}T15:00:00Z`),
    countedAt: new Date(`${day}T16:00:00Z`),
    rulesVersion: 2,
    businessDate: day,
  });

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    db = await createWarmDb(database.url, { maxConnections: 2 }); // as the runtime warms it
    await seedChartRules(db, LUMINATE_VERSIONS);
    await upsertSaleLines(db, [
      unit('2026-12-04', '7001', 0),
      unit('2026-12-05', '7002', 0),
      unit('2026-12-05', '7002', 1),
      unit('2026-12-06', '7003', 0),
    ]);
    built = await buildTestApp({
      serviceTokens: [TOKEN],
      reports: { db, retailerAccount: 'SINGLE-TEST', chartFileDelayMinutes: 30, now: () => clock },
    });
    await built.app.ready();
  });
  afterAll(async () => {
    await built?.app.close();
    await db?.$disconnect();
    await pool?.end();
    await database?.drop();
  });

  const get = (url: string) => built.app.inject({ url, headers: auth });
  const files = async () =>
    (
      await pool.query<{ day: string; sha256: string; content: Buffer }>(
        `SELECT to_char(business_date, 'YYYY-MM-DD') AS day, sha256, content FROM report_file ORDER BY business_date, created_at`,
      )
    ).rows;

  it('a GET of a closed day writes nothing: 404 chart_file_not_ready saying when; the preview reads only', async () => {
    const res = await get('/v1/reports/chart?chart=luminate&date=2026-12-05');
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    // Dec 5 closes at 00:00 New York on Dec 6 (05:00 UTC); the job runs 30 minutes later.
    expect(res.json()).toMatchObject({ code: 'chart_file_not_ready', readyAt: '2026-12-06T05:30:00.000Z' });
    expect(res.json().detail).toMatch(/cmdr reports produce/); // overdue: it says how to make it now

    const preview = await get('/v1/reports/chart/preview?chart=luminate&date=2026-12-05');
    expect(preview.statusCode).toBe(200);
    expect(preview.headers['x-chart-preview']).toBe('true');
    expect(preview.body.trimEnd().split('\r\n')).toHaveLength(3); // header + two units
    const open = await get('/v1/reports/chart/preview?chart=luminate&date=2026-12-07');
    expect(open.statusCode).toBe(200); // an open day can be previewed, never produced

    const today = await get('/v1/reports/chart?chart=luminate&date=2026-12-07');
    expect(today.json()).toMatchObject({ code: 'day_not_closed', readyAt: '2026-12-08T05:30:00.000Z' });
    expect(await files()).toEqual([]);
  });

  it('the job produces the due days, GET serves them, and a rerun is byte-identical and stores nothing', async () => {
    const preview = await get('/v1/reports/chart/preview?chart=luminate&date=2026-12-05');
    const first = await runChartFileJob(config(3), { logger: silentLogger(), now: clock });
    expect(first.map((f) => [f.date, f.lines, f.stored])).toEqual([
      ['2026-12-04', 1, true],
      ['2026-12-05', 2, true],
      ['2026-12-06', 1, true],
    ]);
    const stored = await files();
    expect(stored.map((f) => f.day)).toEqual(['2026-12-04', '2026-12-05', '2026-12-06']);

    const served = await get('/v1/reports/chart?chart=luminate&date=2026-12-05');
    expect(served.statusCode).toBe(200);
    expect(served.headers['content-type']).toContain('text/csv');
    expect(served.rawPayload.equals(preview.rawPayload)).toBe(true);
    expect(served.headers['x-content-sha256']).toBe(first[1]!.sha256);

    const again = await runChartFileJob(config(3), { logger: silentLogger(), now: clock });
    // The day that just closed is made again (same bytes, no row); the days before it already have theirs.
    expect(again.map((f) => [f.date, f.sha256, f.stored])).toEqual([['2026-12-06', first[2]!.sha256, false]]);
    const after = await files();
    expect(after).toHaveLength(3);
    expect(after.map((f) => f.content.toString('base64'))).toEqual(stored.map((f) => f.content.toString('base64')));
    // Serving it again changes nothing either.
    await get('/v1/reports/chart?chart=luminate&date=2026-12-05');
    expect(await files()).toHaveLength(3);
  });

  it('produces one day on demand (cmdr reports produce), idempotently, and never an open day', async () => {
    const post = (date: string) =>
      built.app.inject({
        method: 'POST',
        url: '/v1/reports/chart-files',
        headers: auth,
        payload: { chart: 'luminate', date },
      });
    const res = await post('2026-12-05');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ chart: 'luminate', date: '2026-12-05', lines: 2, stored: false });
    expect((await post('2026-12-07')).json()).toMatchObject({ code: 'day_not_closed' });
    expect((await post('2026-13-01')).statusCode).toBe(400);
    expect(await files()).toHaveLength(3);
  });

  it('catches up the days a missed run left without a file', async () => {
    clock = new Date('2026-12-10T12:00:00Z'); // runs on Dec 8 and 9 were missed
    await upsertSaleLines(db, [unit('2026-12-08', '7004', 0)]);
    const run = await runChartFileJob(config(4), { logger: silentLogger(), now: clock });
    expect(run.map((f) => [f.date, f.stored])).toEqual([
      ['2026-12-07', true],
      ['2026-12-08', true],
      ['2026-12-09', true],
    ]);
    const served = await get('/v1/reports/chart?chart=luminate&date=2026-12-08');
    expect(served.body).toContain(',7004,');
  });
});
