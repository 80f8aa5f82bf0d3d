import { randomUUID } from 'node:crypto';
import { loadConfig } from '@single/config';
import { type SalesEventV1, salesEventV1 } from '@single/contracts';
import { createKafkaEventBus, type EventBus } from '@single/events';
import type { RunningServer } from '@single/http';
import { silentLogger } from '@single/logger';
import { createKafkaTestContext, createTestDatabase, type TestDatabase } from '@single/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { purgeCapturesOlderThan } from './captures/capture.repository.ts';
import { geoReportingEnv } from './config.ts';
import { createRuntime, type GeoReportingRuntime } from './runtime.ts';
import { geoipFixture } from './test-support/fixtures.ts';

// The whole path on real servers: HTTP capture through a trusted proxy (the loopback peer) -> Postgres;
// sales.v1 on Kafka -> located sale -> regional roll-up and the Luminate day file.
describe('geo-reporting on Postgres and Kafka', () => {
  const kafka = createKafkaTestContext();
  const topic = kafka.topic();
  let database: TestDatabase;
  let pool: pg.Pool;
  let runtime: GeoReportingRuntime;
  let server: RunningServer;
  let producer: EventBus;
  const releaseId = randomUUID();
  const UPC = '0602445789012';
  // Reports need a credential (GEO_REPORTS_TOKENS here; an ops-scoped API key works too).
  const TOKEN = 'geo-int-test-service-token-0123456789abcdef';
  const ops = { authorization: `Bearer ${TOKEN}` };
  const read = (path: string) => fetch(`${server.address}${path}`, { headers: ops });
  /** What the scheduled job does for one day (cmdr reports produce), then the GET of the file it made. */
  const produce = async (date: string) => {
    const res = await fetch(`${server.address}/v1/reports/chart-files`, {
      method: 'POST',
      headers: { ...ops, 'content-type': 'application/json' },
      body: JSON.stringify({ chart: 'luminate', date }),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { sha256: string; stored: boolean };
  };
  const chartFile = async (date: string) => {
    await produce(date);
    return read(`/v1/reports/chart?chart=luminate&date=${date}`);
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    const accountId = randomUUID();
    const artistId = randomUUID();
    await pool.query(`INSERT INTO account (id, kind, name, updated_at) VALUES ($1, 'artist', 'Night Harbour', now())`, [
      accountId,
    ]);
    await pool.query('INSERT INTO artist (id, account_id, name, updated_at) VALUES ($1, $2, $3, now())', [
      artistId,
      accountId,
      'Night Harbour',
    ]);
    await pool.query(
      `INSERT INTO release (id, artist_id, title, upc, release_instant, updated_at)
       VALUES ($1, $2, 'Low Tide', $3, '2026-01-09T05:00:00Z', now())`,
      [releaseId, artistId, UPC],
    );
    const config = loadConfig(geoReportingEnv, {
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: database.url,
      KAFKA_BROKERS: kafka.brokers.join(','),
      // Here the loopback peer plays our proxies (ALB -> Traefik).
      TRUSTED_PROXIES: '127.0.0.1/32',
      GEOIP_DB_PATHS: geoipFixture('GeoIP2-City-Test'),
      GEOIP_RELOAD_INTERVAL_MS: '0',
      SALES_TOPIC: topic,
      SALES_CONSUMER_GROUP: kafka.groupId(),
      LOG_LEVEL: 'silent',
      GEO_REPORTS_TOKENS: TOKEN,
    });
    runtime = createRuntime(config, { logger: silentLogger() });
    server = await runtime.start();
    producer = createKafkaEventBus({ brokers: kafka.brokers, clientId: 'geo-reporting-test-producer' });
  });

  afterAll(async () => {
    await server?.shutdown();
    await producer?.close();
    await pool?.end();
    await database?.drop();
    await kafka.cleanup();
  });

  const capture = (checkoutToken: string, headers: Record<string, string>) =>
    fetch(`${server.address}/v1/geo/captures`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ shopDomain: 'single-demo.myshopify.com', checkoutToken }),
    });

  const sale = (type: SalesEventV1['type'], occurredAt: string, extra: Partial<SalesEventV1>): SalesEventV1 =>
    salesEventV1.parse({
      version: 1,
      eventId: randomUUID(),
      type,
      occurredAt,
      shopDomain: 'single-demo.myshopify.com',
      orderId: '5550001001',
      orderLineId: '13001001',
      releaseId,
      upc: UPC,
      quantity: 1,
      unitPriceNet: '9.99',
      currency: 'USD',
      fan: {},
      ...extra,
    });

  const publish = (...events: SalesEventV1[]) =>
    producer.publish(
      topic,
      events.map((e) => ({ key: e.orderId, value: JSON.stringify(e) })),
    );

  const locatedCount = async (orderId: string) =>
    (await pool.query('SELECT count(*)::int AS n FROM located_sale WHERE order_id = $1', [orderId])).rows[0]
      .n as number;

  it('capture -> sales.v1 -> located sale -> roll-up and a byte-identical chart CSV', async () => {
    const token = 'c1a2b3c4d5e6f708192a3b4c5d6e7f80';
    const res = await capture(token, { 'x-forwarded-for': '216.160.83.56' });
    expect(res.status).toBe(204);
    const stored = await pool.query(
      'SELECT client_ip, chain, flags, precision, postal, geo_db_build_date::text AS built FROM geo_capture',
    );
    expect(stored.rows).toEqual([
      {
        client_ip: '216.160.83.56',
        chain: ['127.0.0.1', '216.160.83.56'],
        flags: [],
        precision: 'postal',
        postal: '98354',
        built: '2026-02-04',
      },
    ]);

    const recorded = sale('sale.recorded', '2026-03-02T15:00:00Z', {
      fan: { checkoutToken: token, emailHash: 'e1', browserIp: '81.2.69.142' },
    });
    const redeemed = sale('sale.redeemed', '2026-03-02T16:00:00Z', { fan: { checkoutToken: token, emailHash: 'e1' } });
    await publish(recorded, redeemed, recorded); // the duplicate is dropped by eventId
    await vi.waitFor(async () => expect(await locatedCount('5550001001')).toBe(2), { timeout: 30_000, interval: 200 });

    const located = await pool.query(
      `SELECT type, source, precision, country, region, postal FROM located_sale WHERE order_id = '5550001001' ORDER BY occurred_at`,
    );
    expect(located.rows[0]).toEqual({
      type: 'sale.recorded',
      source: 'geo_capture',
      precision: 'postal',
      country: 'US',
      region: 'WA',
      postal: '98354',
    });

    const regions = await read(`/v1/reports/regions?releaseId=${releaseId}&from=2026-03-02&to=2026-03-02&level=postal`);
    expect(await regions.json()).toMatchObject({
      rows: [{ code: 'US-98354', currency: 'USD', units: 1, netAmount: '9.99' }],
      attribution: expect.stringContaining('MaxMind'),
    });

    expect((await read('/v1/reports/chart?chart=luminate&date=2026-03-02')).status, 'a GET never makes the file').toBe(
      404,
    );
    const made = await produce('2026-03-02');
    expect(made.stored).toBe(true);
    const remade = await produce('2026-03-02'); // regenerated with no change: the same bytes, no new row
    expect(remade).toMatchObject({ sha256: made.sha256, stored: false });
    const first = await read('/v1/reports/chart?chart=luminate&date=2026-03-02');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toContain('text/csv');
    const csv = await first.text();
    expect(csv.split('\r\n')[1]).toBe(
      'SINGLE-DEV,2026-03-02,S,0602445789012,,98354,US,1,9.99,USD,2026-03-02T15:00:00.000Z,2026-03-02T16:00:00.000Z,5550001001,13001001,0',
    );
    const again = await read('/v1/reports/chart?chart=luminate&date=2026-03-02');
    expect(await again.text()).toBe(csv);
    expect(again.headers.get('x-content-sha256')).toBe(first.headers.get('x-content-sha256'));
    const files = await pool.query(`SELECT count(*)::int AS n FROM report_file WHERE chart = 'luminate'`);
    expect(files.rows[0].n).toBe(1);
  });

  it('a capture without X-Forwarded-For behind a trusted peer -> 204, flagged, and the sale is still reported', async () => {
    const token = 'deadbeefdeadbeefdeadbeefdeadbeef';
    expect((await capture(token, {})).status).toBe(204);
    const stored = await pool.query('SELECT client_ip, flags, precision FROM geo_capture WHERE checkout_token = $1', [
      token,
    ]);
    expect(stored.rows).toEqual([{ client_ip: null, flags: ['xff_missing'], precision: 'none' }]);

    const orderId = '5550002002';
    await publish(
      sale('sale.recorded', '2026-03-03T15:00:00Z', {
        orderId,
        orderLineId: '13002001',
        fan: { checkoutToken: token, emailHash: 'e2', browserIp: '10.0.0.7' },
      }),
      sale('sale.redeemed', '2026-03-03T15:30:00Z', {
        orderId,
        orderLineId: '13002001',
        fan: { checkoutToken: token, emailHash: 'e2' },
      }),
    );
    await vi.waitFor(async () => expect(await locatedCount(orderId)).toBe(2), { timeout: 30_000, interval: 200 });
    const located = await pool.query(
      `SELECT source, precision, flags FROM located_sale WHERE order_id = $1 AND type = 'sale.recorded'`,
      [orderId],
    );
    expect(located.rows).toEqual([
      { source: 'none', precision: 'none', flags: ['capture_unlocated', 'browser_ip_special', 'location_missing'] },
    ]);

    const regions = await read(
      `/v1/reports/regions?releaseId=${releaseId}&from=2026-03-03&to=2026-03-03&level=country`,
    );
    expect(((await regions.json()) as { rows: unknown[] }).rows).toEqual([
      { code: null, currency: 'USD', units: 1, netAmount: '9.99' },
    ]);
    const csv = await (await chartFile('2026-03-03')).text();
    expect(csv.split('\r\n')[1]).toBe(
      'SINGLE-DEV,2026-03-03,S,0602445789012,,,,1,9.99,USD,2026-03-03T15:00:00.000Z,2026-03-03T15:30:00.000Z,5550002002,13002001,0',
    );

    const integrity = await (await read('/v1/geo/integrity')).json();
    expect(integrity).toMatchObject({ captures: 2, flagged: 1, byFlag: { xff_missing: 1 } });
  });

  it('a refund after the unit counted is a return line on its own day, taken off the place of the sale', async () => {
    await publish(sale('sale.reversed', '2026-03-04T14:00:00Z', { fan: {} }));
    await vi.waitFor(async () => expect(await locatedCount('5550001001')).toBe(3), { timeout: 30_000, interval: 200 });
    const regions = await read(`/v1/reports/regions?releaseId=${releaseId}&from=2026-03-02&to=2026-03-04&level=postal`);
    // The sale (+1) and the refund (-1) net out at US-98354; the refund carried no location of its own.
    expect(((await regions.json()) as { rows: unknown[] }).rows).toEqual([
      { code: null, currency: 'USD', units: 1, netAmount: '9.99' },
    ]);
    const csv = await (await chartFile('2026-03-04')).text();
    expect(csv.split('\r\n').slice(1)).toEqual([
      'SINGLE-DEV,2026-03-04,R,0602445789012,,98354,US,1,9.99,USD,2026-03-04T14:00:00.000Z,2026-03-04T14:00:00.000Z,5550001001,13001001,0',
      '',
    ]);
  });

  it('deletes captures past their retention', async () => {
    await pool.query(
      `INSERT INTO geo_capture (shop_domain, checkout_token, chain, flags, precision, captured_at)
       VALUES ('single-demo.myshopify.com', 'old-token-123', '{}', '{}', 'none', now() - interval '31 days')`,
    );
    const before = (await pool.query('SELECT count(*)::int AS n FROM geo_capture')).rows[0].n as number;
    expect(await purgeCapturesOlderThan(runtime.db, 30)).toBe(1);
    expect((await pool.query('SELECT count(*)::int AS n FROM geo_capture')).rows[0].n).toBe(before - 1);
  });

  it('refuses the file of a business day that is not over yet', async () => {
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' }).format(new Date());
    const res = await read(`/v1/reports/chart?chart=luminate&date=${today}`);
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ code: 'day_not_closed' });
  });
});
