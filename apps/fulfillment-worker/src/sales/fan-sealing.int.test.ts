import { randomBytes } from 'node:crypto';
import { openSealedFan, salesEvent } from '@single/contracts';
import { readFanDataKeys } from '@single/db';
import { createKafkaEventBus, type EventBus } from '@single/events';
import { createKafkaTestContext, useTestDatabase } from '@single/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadTokens } from '../grants/tokens.ts';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { redactCustomer } from '../privacy/privacy.service.ts';
import { customersRedact } from '../shopify/payloads.ts';
import { paidOrder, SHOP, seedCatalogue, shopifyFixture } from '../test-support/fixtures.ts';
import { eventually } from '../test-support/worker-harness.ts';
import { FanSealer } from './fan-sealing.ts';
import { SalesRelay } from './sales-relay.ts';

const tokens = new DownloadTokens(['sealing-secret-sealing-secret-sealing-01']);
const FAN_HASH_SECRET = 'sealing-fan-hash-secret-sealing-fan-hash-secret';
// The fixture order's fan facts that no Kafka message may carry in clear.
const IP = '216.160.83.56';
const ZIP = '98354';
const CHECKOUT = 'c1a2b3c4d5e6f708192a3b4c5d6e7f80';
const CUSTOMER = '7770001';

/** The fixture order with both addresses' country codes replaced. */
function orderWithCountry(countryCode: string) {
  const raw = shopifyFixture('orders/paid') as Record<string, Record<string, unknown>>;
  return paidOrder({
    billing_address: { ...raw.billing_address, country_code: countryCode },
    shipping_address: { ...raw.shipping_address, country_code: countryCode },
  });
}

describe('the relay never publishes fan facts it could not validate, nor a key a redaction missed', () => {
  const database = useTestDatabase();
  const kafka = createKafkaTestContext();
  let pool: pg.Pool;
  let bus: EventBus;

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 4 });
    bus = createKafkaEventBus({ brokers: kafka.brokers, clientId: 'fan-sealing-test' });
    await seedCatalogue(database().db);
  });
  afterEach(async () => {
    await bus.close();
    await pool.end();
    await kafka.cleanup();
  });

  async function readTopic(topic: string, count: number): Promise<string[]> {
    const seen: string[] = [];
    const subscription = await bus.subscribe({
      topics: [topic],
      groupId: kafka.groupId(),
      fromBeginning: true,
      handler: async (event) => {
        seen.push(Buffer.from(event.value).toString('utf8'));
      },
    });
    await eventually(async () => expect(seen).toHaveLength(count));
    await subscription.stop();
    return seen;
  }

  function expectNoClearFacts(messages: readonly string[]) {
    for (const text of messages) for (const secret of [IP, ZIP, CHECKOUT]) expect(text).not.toContain(secret);
  }

  async function relayTo(topic: string) {
    await bus.ensureTopics([topic], 1);
    return new SalesRelay({ pool, bus, sealer: new FanSealer(FAN_HASH_SECRET), topic });
  }

  it('an order with country code "USA" is stored without a country and its events are sealed in the topic', async () => {
    const topic = kafka.topic();
    const now = new Date();
    await applySnapshots({ pool, tokens, now: () => now }, [{ shopDomain: SHOP, snapshot: orderWithCountry('USA') }]);
    const { rows } = await pool.query('SELECT billing_country, shipping_country FROM orders');
    expect(rows).toEqual([{ billing_country: null, shipping_country: null }]);

    const relay = await relayTo(topic);
    expect(await relay.tick()).toBe(3);
    const messages = await readTopic(topic, 3);
    expectNoClearFacts(messages);
    for (const text of messages) {
      const event = salesEvent.parse(JSON.parse(text));
      expect(event.version).toBe(2);
      expect(event.version === 2 && event.fanSealed).toBeTruthy();
    }
  });

  it('an outbox event whose fan block fails validation (country "USA") is sealed anyway, the country dropped', async () => {
    const topic = kafka.topic();
    const now = new Date();
    await applySnapshots({ pool, tokens, now: () => now }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    // As a producer that does not validate (or an order stored before intake did) would have written it.
    await pool.query(
      `UPDATE sales_outbox SET payload = jsonb_set(jsonb_set(payload, '{fan,billingCountry}', '"USA"'),
         '{fan,shippingCountry}', '"United States"')`,
    );
    // One more that is no event at all (a type nobody knows) but still carries a fan block in clear.
    await pool.query(
      `INSERT INTO sales_outbox (event_id, topic, key, payload)
       SELECT gen_random_uuid(), topic, key, jsonb_set(payload, '{type}', '"sale.unknown"') FROM sales_outbox LIMIT 1`,
    );

    const relay = await relayTo(topic);
    expect(await relay.tick()).toBe(4);
    const messages = await readTopic(topic, 4);
    expectNoClearFacts(messages);
    const events = messages.map((text) => JSON.parse(text) as { fan: object; version: number });
    for (const event of events) expect(event.fan).toEqual({});
    expect(events.filter((e) => salesEvent.safeParse(e).success)).toHaveLength(3);
    // The outbox copy holds what was published, not the clear facts.
    const outbox = (await pool.query<{ p: string }>('SELECT payload::text AS p FROM sales_outbox')).rows;
    expectNoClearFacts(outbox.map((r) => r.p));
  });

  it('customers/redact racing a relay round leaves no key that opens the published events', async () => {
    const topic = kafka.topic();
    const now = new Date();
    await applySnapshots({ pool, tokens, now: () => now }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    const relay = await relayTo(topic);

    // Interleaving, deterministically: an uncommitted row of the customer's key makes the relay's key insert
    // wait (it already holds the outbox rows); the redaction then runs up to the point where it waits for them.
    const holder = new pg.Client({ connectionString: database().url });
    await holder.connect();
    // Polled outside the holder's transaction: pg_stat_activity is a snapshot taken once per transaction.
    const waiting = async (n: number) =>
      eventually(async () => {
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        expect(rows[0]?.n).toBe(n);
      });
    try {
      await holder.query('BEGIN');
      await holder.query(`INSERT INTO fan_data_key (shop_domain, subject, key) VALUES ($1, $2, decode($3, 'hex'))`, [
        SHOP,
        `customer:${CUSTOMER}`,
        randomBytes(32).toString('hex'),
      ]);
      const round = relay.tick();
      await waiting(1);
      const redaction = redactCustomer(database().db, SHOP, customersRedact.parse(shopifyFixture('customers/redact')));
      await waiting(2);
      await holder.query('ROLLBACK');
      expect(await round).toBe(3);
      await redaction;
    } finally {
      await holder.end();
    }

    expect(await database().db.fanDataKey.count()).toBe(0);
    const messages = await readTopic(topic, 3);
    expectNoClearFacts(messages);
    for (const text of messages) {
      const event = salesEvent.parse(JSON.parse(text));
      if (event.version !== 2 || !event.fanSealed) continue;
      const keys = await readFanDataKeys(pool, SHOP, [event.fanSealed.keyId]);
      expect(openSealedFan(event.fanSealed, event.eventId, keys.get(event.fanSealed.keyId))).toBeNull();
    }
  });

  it('an order of a customer redacted before it arrived gets no data key', async () => {
    const topic = kafka.topic();
    const now = new Date();
    await redactCustomer(
      database().db,
      SHOP,
      customersRedact.parse({ ...shopifyFixture('customers/redact'), orders_to_redact: [] }),
    );
    await applySnapshots({ pool, tokens, now: () => now }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    const relay = await relayTo(topic);
    expect(await relay.tick()).toBe(3);
    expect(await database().db.fanDataKey.count()).toBe(0);
    expectNoClearFacts(await readTopic(topic, 3));
  });
});
