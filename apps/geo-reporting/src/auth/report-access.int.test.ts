import { randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '@single/db';
import { generateApiKey } from '@single/db/commands/api-keys';
import { createTestDatabase, type TestDatabase } from '@single/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeoReportingApp } from '../app.ts';
import { LUMINATE_VERSIONS } from '../charts/rules.ts';
import { seedChartRules } from '../sales/sales.repository.ts';
import { createWarmDb } from '../support/db.ts';
import { geoipFixture } from '../test-support/fixtures.ts';
import { buildTestApp, testGeoIp } from '../test-support/setup.ts';

// Who may read what: the capture beacon (and the health endpoints) answer anyone; every other route of
// geo-reporting needs a service token (GEO_REPORTS_TOKENS) or an artist-API key with the ops scope, checked in
// the app. Before, every route answered anyone, and /v1/geo/databases showed the files' paths.
describe('geo-reporting: who may read what', () => {
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: Db;
  let built: GeoReportingApp;
  const TOKEN = randomBytes(32).toString('hex');
  const geoPath = geoipFixture('GeoIP2-City-Test');
  const keys: Record<'read' | 'ops' | 'revoked', string> = { read: '', ops: '', revoked: '' };

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    db = await createWarmDb(database.url, { maxConnections: 2 }); // as the runtime warms it
    await seedChartRules(db, LUMINATE_VERSIONS);
    const accountId = randomUUID();
    await pool.query(`INSERT INTO account (id, kind, name, updated_at) VALUES ($1, 'label', 'Rival Records', now())`, [
      accountId,
    ]);
    const key = async (scopes: string[], revoked = false) => {
      const { secret, hash } = generateApiKey();
      await pool.query(
        `INSERT INTO api_key (account_id, name, hash, scopes, revoked_at) VALUES ($1, 'k', $2, $3, $4)`,
        [accountId, hash, scopes, revoked ? new Date() : null],
      );
      return secret;
    };
    keys.read = await key(['read', 'write']);
    keys.ops = await key(['read', 'ops']);
    keys.revoked = await key(['ops'], true);
    built = await buildTestApp({
      geo: await testGeoIp([geoPath, '/nonexistent/dir/GeoLite2-City.mmdb']),
      serviceTokens: [randomBytes(32).toString('hex'), TOKEN],
      reports: { db, retailerAccount: 'SINGLE-TEST', now: () => new Date('2026-12-07T12:00:00Z') },
    });
    await built.app.ready();
  });
  afterAll(async () => {
    await built?.app.close();
    await db?.$disconnect();
    await pool?.end();
    await database?.drop();
  });

  // Every route but the capture: method, url, body.
  const routes: [string, string, object?][] = [
    ['GET', `/v1/reports/regions?releaseId=${randomUUID()}&from=2026-12-01&to=2026-12-05`],
    ['GET', '/v1/reports/chart?chart=luminate&date=2026-12-05'],
    ['GET', '/v1/reports/chart/preview?chart=luminate&date=2026-12-05'],
    ['POST', '/v1/reports/chart-files', { chart: 'luminate', date: '2026-12-05' }],
    ['GET', '/v1/geo/integrity'],
    ['GET', '/v1/geo/databases'],
    ['GET', '/metrics'],
  ];
  const call = (method: string, url: string, payload: object | undefined, authorization?: string) =>
    built.app.inject({
      method: method as 'GET' | 'POST',
      url,
      ...(payload ? { payload } : {}),
      headers: authorization ? { authorization } : {},
    });

  it.each(routes)(
    '%s %s answers 401 problem+json with WWW-Authenticate without a valid credential',
    async (method, url, payload) => {
      const rejected = [
        undefined,
        `Bearer ${randomBytes(32).toString('hex')}`, // a token that is not configured
        `Bearer ${TOKEN.slice(0, -1)}`,
        `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`,
        `Bearer ${keys.revoked}`,
        `Bearer sgl_${'A'.repeat(43)}`, // an unknown key
      ];
      for (const authorization of rejected) {
        const res = await call(method, url, payload, authorization);
        expect([authorization, res.statusCode]).toEqual([authorization, 401]);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.headers['www-authenticate']).toMatch(/^Bearer realm=/);
        expect(res.json()).toMatchObject({ status: 401, code: 'unauthorized' });
      }
    },
  );

  it.each(routes)(
    '%s %s answers 403 forbidden to a key without the ops scope, and an ops key or a service token',
    async (method, url, payload) => {
      const res = await call(method, url, payload, `Bearer ${keys.read}`);
      expect(res.statusCode).toBe(403);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ status: 403, code: 'forbidden' });
      for (const authorization of [`Bearer ${keys.ops}`, `bearer ${TOKEN}`]) {
        const ok = await call(method, url, payload, authorization);
        // The chart of a day the job has not produced yet is a 404 chart_file_not_ready: the credential passed.
        const expected = url.startsWith('/v1/reports/chart?') ? [200, 404] : [200];
        expect(expected, `${authorization.slice(0, 10)} ${ok.statusCode} ${ok.body.slice(0, 200)}`).toContain(
          ok.statusCode,
        );
        if (ok.statusCode === 404) expect(ok.json().code).toBe('chart_file_not_ready');
      }
    },
  );

  it('keeps the capture beacon, its preflight and the health endpoints public', async () => {
    const capture = await built.app.inject({
      method: 'POST',
      url: '/v1/geo/captures',
      remoteAddress: '10.0.1.34',
      headers: { 'x-forwarded-for': '216.160.83.56' },
      payload: { shopDomain: 'single-demo.myshopify.com', checkoutToken: 'c1a2b3c4d5e6f708192a3b4c5d6e7f80' },
    });
    expect(capture.statusCode).toBe(204);
    expect((await built.app.inject({ method: 'OPTIONS', url: '/v1/geo/captures' })).statusCode).toBe(204);
    expect((await built.app.inject({ url: '/health/live' })).statusCode).toBe(200);
    expect((await built.app.inject({ url: '/health/ready' })).statusCode).toBe(200);
  });

  it('/v1/geo/databases shows no file-system path, not even in a load error', async () => {
    const res = await call('GET', '/v1/geo/databases', undefined, `Bearer ${TOKEN}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.databases).toMatchObject([
      { file: 1, loaded: true, databaseType: 'GeoIP2-City', error: null },
      { file: 2, loaded: false, error: expect.stringContaining('file 2') },
    ]);
    expect(res.body).not.toContain(geoPath);
    expect(res.body).not.toContain('/nonexistent');
    expect(res.body).not.toMatch(/"path"/);
    expect(res.body).not.toContain('.mmdb');
  });
});
