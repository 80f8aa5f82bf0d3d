import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyMigrations, migrationsDir } from '@single/db/migrations';
import { databaseUrl, testEnv } from '@single/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Before fan keys had kinds, a raw IP was registered as sha256('ip:' || address), a strong key for ever. The
// migration that adds kinds drops those it can still recognise (the address is in orders.browser_ip or
// geo_capture.client_ip), so a shared address stops capping later fans; other keys stay strong.
const MIGRATION = '20261206130000_fan_key_kinds';
const sha = (value: string) => createHash('sha256').update(value).digest('hex');

describe(`migration ${MIGRATION}`, () => {
  const name = `test_${Date.now().toString(36)}_${randomBytes(6).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: testEnv.DATABASE_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  let before: string;
  let pool: pg.Pool;

  beforeAll(async () => {
    await admin(`CREATE DATABASE "${name}"`);
    pool = new pg.Pool({ connectionString: databaseUrl(name), max: 1 });
    before = await mkdtemp(join(tmpdir(), 'fan-key-migration-'));
    for (const entry of await readdir(migrationsDir)) {
      if (entry < MIGRATION) await cp(join(migrationsDir, entry), join(before, entry), { recursive: true });
    }
  });
  afterAll(async () => {
    await pool?.end();
    await rm(before, { recursive: true, force: true });
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });

  it('drops the legacy keys of known IPs from chart_fan_key and undecided sales, and keeps the others strong', async () => {
    await applyMigrations(databaseUrl(name), { migrationsDir: before });
    const ipKey = sha('ip:216.160.83.56');
    const emailKey = sha('email:e1');
    const orderKey = sha('order:single-demo.myshopify.com:5550001001');
    const saleLineId = randomUUID();
    await pool.query(
      `INSERT INTO geo_capture (shop_domain, checkout_token, client_ip, precision)
       VALUES ('single-demo.myshopify.com', 'c1', '216.160.83.56', 'postal')`,
    );
    await pool.query(
      `INSERT INTO chart_fan_key (chart, product, fan_key, sale_line_id)
       SELECT 'luminate', 'upc:0602445789012', key, $2::uuid FROM unnest($1::text[]) AS key`,
      [[ipKey, emailKey, orderKey], saleLineId],
    );
    await pool.query(
      `INSERT INTO located_sale (event_id, type, shop_domain, order_id, order_line_id, release_id, quantity, net_price,
          currency, source, precision, fan_keys, occurred_at)
       VALUES ($1, 'sale.recorded', 'single-demo.myshopify.com', '5550001001', '13001001', $2, 1, 9.99, 'USD',
          'geo_capture', 'postal', $3::text[], now())`,
      [randomUUID(), randomUUID(), [orderKey, emailKey, ipKey]],
    );

    expect(await applyMigrations(databaseUrl(name))).toContain(MIGRATION);

    const keys = await pool.query(`SELECT fan_key, kind::text, sale_line_id FROM chart_fan_key ORDER BY fan_key`);
    expect(keys.rows).toEqual(
      [emailKey, orderKey].sort().map((key) => ({ fan_key: key, kind: 'strong', sale_line_id: saleLineId })),
    );
    const sale = await pool.query('SELECT fan_keys FROM located_sale');
    expect(sale.rows[0].fan_keys).toEqual([orderKey, emailKey]);
  });
});
