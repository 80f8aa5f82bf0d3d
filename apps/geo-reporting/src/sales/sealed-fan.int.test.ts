import { randomBytes, randomUUID } from 'node:crypto';
import { keyedEmailHash, type SalesEventV1, salesEventV1, sealSalesEvent } from '@single/contracts';
import type { Db } from '@single/db';
import { silentLogger } from '@single/logger';
import { createTestDatabase, type TestDatabase } from '@single/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LUMINATE_VERSIONS } from '../charts/rules.ts';
import { Metrics } from '../integrity/metrics.ts';
import { createWarmDb } from '../support/db.ts';
import { seedRelease, testGeoIp, testSalesService } from '../test-support/setup.ts';
import { salesEventHandler } from './sales.consumer.ts';
import { seedChartRules } from './sales.repository.ts';
import type { SalesService } from './sales.service.ts';

/**
 * sales.v1 version 2 (issue 14, crypto-shredding): geo-reporting opens the sealed fan facts with the fan's data key
 * read from PostgreSQL, and when a redaction has deleted the key, it still locates (by country) and charts the
 * sale, never failing it. Version 1 events stay accepted during the rollout.
 */
describe('sealed fan facts (sales.v1 version 2) on PostgreSQL', () => {
  const SHOP = 'single-demo.myshopify.com';
  const T0 = Date.parse('2027-01-08T15:00:00Z');
  const UPC = '0602445789013';
  const releaseId = randomUUID();
  let database: TestDatabase;
  let pool: pg.Pool;
  let db: Db;
  let sales: SalesService;
  let metrics: Metrics;

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = new pg.Pool({ connectionString: database.url, max: 4 });
    db = await createWarmDb(database.url, { maxConnections: 4 }); // as the runtime warms it
    await seedRelease(pool, { id: releaseId, upc: UPC });
    await seedChartRules(db, LUMINATE_VERSIONS);
    sales = testSalesService(db, pool, await testGeoIp());
    metrics = new Metrics();
  });
  afterAll(async () => {
    await db?.$disconnect();
    await pool?.end();
    await database?.drop();
  });

  let lines = 0;
  /** The worker's side, as the sales relay does it: a data key in fan_data_key and the unit's events sealed. */
  async function sealedLine(subject: string) {
    lines += 1;
    const key = { id: randomUUID(), key: randomBytes(32) };
    await pool.query('INSERT INTO fan_data_key (id, shop_domain, subject, key) VALUES ($1, $2, $3, $4)', [
      key.id,
      SHOP,
      subject,
      key.key,
    ]);
    const line = { orderId: String(5_570_000_000 + lines), orderLineId: String(15_000_000 + lines) };
    const event = (type: SalesEventV1['type'], at: number) =>
      sealSalesEvent(
        salesEventV1.parse({
          version: 1,
          eventId: randomUUID(),
          type,
          occurredAt: new Date(at).toISOString(),
          shopDomain: SHOP,
          releaseId,
          upc: UPC,
          quantity: 1,
          unitIndex: 0,
          unitPriceNet: '9.99',
          currency: 'USD',
          ...line,
          fan: {
            emailHash: keyedEmailHash('geo-test-fan-hash-secret-geo-test-fan-hash', `${subject}@example.com`),
            billingZip: '98354',
            billingCountry: 'US',
            browserIp: '216.160.83.56',
          },
        }),
        key,
      );
    return { ...line, key, events: [event('sale.recorded', T0), event('sale.redeemed', T0 + 60_000)] };
  }

  /** Through the consumer, as the message bytes arrive from the topic. */
  async function consume(events: readonly unknown[]) {
    const handler = salesEventHandler(sales, silentLogger(), metrics);
    for (const [i, event] of events.entries()) {
      await handler({
        topic: 'sales.v1',
        partition: 0,
        offset: String(i),
        key: null,
        value: Buffer.from(JSON.stringify(event)),
        headers: {},
      });
    }
  }

  async function located(orderLineId: string) {
    const { rows } = await pool.query<{ precision: string; country: string; postal: string | null; keys: string[] }>(
      `SELECT precision, country, postal, fan_keys AS keys FROM located_sale
       WHERE order_line_id = $1 AND type = 'sale.recorded'`,
      [orderLineId],
    );
    return rows[0];
  }
  async function charted(orderLineId: string) {
    const { rows } = await pool.query<{ outcome: string }>(
      `SELECT coalesce(reason_code, eligibility::text) AS outcome FROM sale_line
       WHERE chart = 'luminate' AND order_line_id = $1 AND kind = 'sale'`,
      [orderLineId],
    );
    return rows.map((r) => r.outcome);
  }

  it('opens the sealed facts with the key: located by ZIP, the keyed email hash among the fan keys', async () => {
    const line = await sealedLine('customer:7770001');
    await consume(line.events);
    expect(await located(line.orderLineId)).toMatchObject({ precision: 'postal', country: 'US', postal: '98354' });
    expect((await located(line.orderLineId))!.keys.some((k) => k.startsWith('p:'))).toBe(true);
    expect(await charted(line.orderLineId)).toEqual(['eligible']);
  });

  it('with the key deleted (redacted before the events were read), still locates by country and charts the sale', async () => {
    const line = await sealedLine('customer:7770002');
    await pool.query('DELETE FROM fan_data_key WHERE id = $1', [line.key.id]);
    const invalidBefore = metrics.salesEvents.get('unknown|invalid') ?? 0;
    await consume(line.events);
    expect(metrics.salesEvents.get('unknown|invalid') ?? 0).toBe(invalidBefore);
    expect(await located(line.orderLineId)).toMatchObject({ precision: 'country', country: 'US', postal: null });
    // No person key can be derived any more: only the order's own key.
    expect((await located(line.orderLineId))!.keys.some((k) => k.startsWith('p:'))).toBe(false);
    expect(await charted(line.orderLineId)).toEqual(['eligible']);
  });
});
