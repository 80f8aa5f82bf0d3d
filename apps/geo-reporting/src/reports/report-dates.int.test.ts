import { randomUUID } from 'node:crypto';
import type { Db } from '@single/db';
import { createTestDatabase, EDGE_VALID_DATES, INVALID_DATES, type TestDatabase } from '@single/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeoReportingApp } from '../app.ts';
import { LUMINATE_VERSIONS } from '../charts/rules.ts';
import { seedChartRules } from '../sales/sales.repository.ts';
import { createWarmDb } from '../support/db.ts';
import { buildTestApp } from '../test-support/setup.ts';

// The report routes on a real database, at 03:00 UTC on Dec 7: still Dec 6 in New York, the US chart's zone.
// Dates that cannot exist (or lie outside 1900-01-01..2199-12-31) answered 500 from PostgreSQL before.
describe('report routes: dates at the edges', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: Db;
  let built: GeoReportingApp;
  const releaseId = randomUUID();
  const TOKEN = 'report-dates-service-token-0123456789abcdef';

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    db = await createWarmDb(database.url, { maxConnections: 2 }); // as the runtime warms it
    await seedChartRules(db, LUMINATE_VERSIONS); // as the runtime does on start
    built = await buildTestApp({
      serviceTokens: [TOKEN],
      reports: { db, retailerAccount: 'SINGLE-TEST', now: () => new Date('2026-12-07T03:00:00Z') },
    });
    await built.app.ready();
  });
  afterAll(async () => {
    await built?.app.close();
    await db?.$disconnect();
    await pool?.end();
    await database?.drop();
  });

  const get = (url: string) => built.app.inject({ url, headers: { authorization: `Bearer ${TOKEN}` } });
  const regions = (query: string) => get(`/v1/reports/regions?releaseId=${releaseId}&${query}`);

  it('answers 400 invalid_date naming the parameter for every date that cannot exist', async () => {
    const wrong: string[] = [];
    const check = async (url: string, parameter: string) => {
      const res = await get(url);
      const body = res.json();
      if (res.statusCode !== 400 || body.code !== 'invalid_date' || body.parameter !== parameter)
        wrong.push(`${url} -> ${res.statusCode} ${res.body.slice(0, 160)}`);
    };
    for (const value of INVALID_DATES) {
      const v = encodeURIComponent(value);
      await check(`/v1/reports/regions?releaseId=${releaseId}&from=${v}&to=2026-12-01`, 'from');
      await check(`/v1/reports/regions?releaseId=${releaseId}&from=2026-12-01&to=${v}`, 'to');
      await check(`/v1/reports/chart?chart=luminate&date=${v}`, 'date');
      await check(`/v1/reports/chart/preview?chart=luminate&date=${v}`, 'date');
    }
    expect(wrong).toEqual([]);
  });

  it('answers real dates at the edges, and from after to with invalid_range', async () => {
    for (const value of EDGE_VALID_DATES) {
      const res = await regions(`from=${value}&to=${value}`);
      expect([value, res.statusCode]).toEqual([value, 200]);
    }
    expect((await regions('from=1900-01-01&to=2199-12-31')).statusCode).toBe(200);
    const reversed = await regions('from=2026-12-02&to=2026-12-01');
    expect([reversed.statusCode, reversed.json().code]).toEqual([400, 'invalid_range']);
    // A closed day the job never produced: the date was accepted, the file is not there.
    const first = await get('/v1/reports/chart?chart=luminate&date=1900-01-01');
    expect([first.statusCode, first.json().code]).toEqual([404, 'chart_file_not_ready']);
    expect((await get('/v1/reports/chart/preview?chart=luminate&date=1900-01-01')).statusCode).toBe(200);
    const last = await get('/v1/reports/chart?chart=luminate&date=2199-12-31');
    expect([last.statusCode, last.json().code]).toEqual([409, 'day_not_closed']);
  });

  it("serves New York's last closed business day, not the UTC one", async () => {
    const closed = await get('/v1/reports/chart?chart=luminate&date=2026-12-05');
    expect([closed.statusCode, closed.json().code]).toEqual([404, 'chart_file_not_ready']); // closed, not produced
    const open = await get('/v1/reports/chart?chart=luminate&date=2026-12-06'); // over in UTC, not in New York
    expect([open.statusCode, open.json().code]).toEqual([409, 'day_not_closed']);
  });
});
