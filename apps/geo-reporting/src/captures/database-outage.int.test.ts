import { createServer } from 'node:net';
import { createDb } from '@single/db';
import { createTestDatabase, type TestDatabase } from '@single/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../test-support/setup.ts';
import { PgCaptureStore } from './capture.repository.ts';

// The storm test's finding: while PostgreSQL restarts a capture was answered 500. A database outage is
// 503 `database_unavailable` with Retry-After (the beacon's client may retry), never a 500.
const body = { shopDomain: 'single-demo.myshopify.com', checkoutToken: 'c1a2b3c4d5e6f708192a3b4c5d6e7f80' };

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function captureWith(pool: pg.Pool) {
  const app = await buildTestApp({ captureStore: new PgCaptureStore(pool) });
  try {
    return await app.app.inject({
      method: 'POST',
      url: '/v1/geo/captures',
      remoteAddress: '81.2.69.160',
      payload: body,
    });
  } finally {
    await app.app.close();
  }
}

function expectUnavailable(res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }) {
  expect(res.statusCode).toBe(503);
  expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(res.headers['retry-after']).toBe('5');
  expect(res.json()).toMatchObject({ status: 503, code: 'database_unavailable' });
}

describe('geo-reporting while PostgreSQL is away', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('answers 503 database_unavailable when connections are refused', async () => {
    const pool = new pg.Pool({
      connectionString: `postgres://single:single@127.0.0.1:${await closedPort()}/x`,
      max: 1,
    });
    try {
      expectUnavailable(await captureWith(pool));
    } finally {
      await pool.end();
    }
  });

  it('answers 503 database_unavailable when its connection is terminated mid-insert (57P01)', async () => {
    const pool = new pg.Pool({ connectionString: database.url, max: 1, application_name: 'geo-outage-test' });
    pool.on('error', () => {}); // the terminated idle client, if any
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    try {
      await pool.query('SELECT 1'); // the app's connection is open before the table is locked
      // The insert waits on the lock, then its backend is terminated as in a restart ("admin shutdown").
      await admin.query('BEGIN');
      await admin.query('LOCK TABLE geo_capture IN ACCESS EXCLUSIVE MODE');
      const answered = captureWith(pool);
      await expect
        .poll(
          async () => {
            const { rows } = await admin.query(
              `SELECT pid FROM pg_stat_activity WHERE application_name = 'geo-outage-test' AND wait_event_type = 'Lock'`,
            );
            return rows.length;
          },
          { timeout: 10_000 },
        )
        .toBe(1);
      await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'geo-outage-test'`,
      );
      expectUnavailable(await answered);
      await admin.query('ROLLBACK');
    } finally {
      await admin.end();
      await pool.end();
    }
  });

  it('answers 503 database_unavailable when Prisma (on @prisma/adapter-pg) cannot connect', async () => {
    const db = createDb(`postgres://single:single@127.0.0.1:${await closedPort()}/x`, { maxConnections: 1 });
    const token = 'test-service-token-0123456789abcdef0123456789';
    const app = await buildTestApp({
      serviceTokens: [token],
      reports: { db, retailerAccount: 'SINGLE-TEST', chartFileDelayMinutes: 30 },
    });
    try {
      const res = await app.app.inject({
        url: '/v1/reports/chart/preview?chart=luminate&date=2026-12-05',
        headers: { authorization: `Bearer ${token}` },
      });
      expectUnavailable(res);
    } finally {
      await app.app.close();
      await db.$disconnect();
    }
  });
});
