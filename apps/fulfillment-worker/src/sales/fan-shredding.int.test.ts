import { createHash } from 'node:crypto';
import { keyedEmailHash, openSealedFan, salesEvent } from '@single/contracts';
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

const tokens = new DownloadTokens(['shred-secret-shred-secret-shred-secret-01']);
const FAN_HASH_SECRET = 'shred-fan-hash-secret-shred-fan-hash-secret';
// The fixture order's fan: what no Kafka copy may hold in clear, and what a redaction must put out of reach.
const EMAIL = 'riley.fan@example.com';
const IP = '216.160.83.56';
const ZIP = '98354';
const CHECKOUT = 'c1a2b3c4d5e6f708192a3b4c5d6e7f80';
const SHA256_EMAIL = createHash('sha256').update(EMAIL).digest('hex');

/**
 * sales.v1 version 2 (issue 14, crypto-shredding): the Kafka message bytes hold no fan fact in clear, the email
 * hash is keyed, and after customers/redact a consumer re-reading the topic from the beginning can no longer
 * recover the facts (the fan's data key is deleted), though every event still parses.
 */
describe('fan facts in sales.v1 are sealed with a per-customer key that a redaction deletes', () => {
  const database = useTestDatabase();
  const kafka = createKafkaTestContext();
  let pool: pg.Pool;
  let bus: EventBus;

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 3 });
    bus = createKafkaEventBus({ brokers: kafka.brokers, clientId: 'fan-shredding-test' });
    await seedCatalogue(database().db);
  });
  afterEach(async () => {
    await bus.close();
    await pool.end();
    await kafka.cleanup();
  });

  /** The topic's messages from the beginning, as raw bytes, for a consumer group of its own. */
  async function readTopic(topic: string, count: number): Promise<Buffer[]> {
    const seen: Buffer[] = [];
    const subscription = await bus.subscribe({
      topics: [topic],
      groupId: kafka.groupId(),
      fromBeginning: true,
      handler: async (event) => {
        seen.push(Buffer.from(event.value));
      },
    });
    await eventually(async () => expect(seen).toHaveLength(count));
    await subscription.stop();
    return seen;
  }

  async function openAll(messages: readonly Buffer[]) {
    return Promise.all(
      messages.map(async (bytes) => {
        const event = salesEvent.parse(JSON.parse(bytes.toString('utf8')));
        if (event.version !== 2 || !event.fanSealed) return { event, facts: null };
        const keys = await readFanDataKeys(pool, event.shopDomain, [event.fanSealed.keyId]);
        return { event, facts: openSealedFan(event.fanSealed, event.eventId, keys.get(event.fanSealed.keyId)) };
      }),
    );
  }

  it('no IP, ZIP, checkout token or email hash in the message bytes; after customers/redact nothing opens', async () => {
    const topic = kafka.topic();
    await bus.ensureTopics([topic], 3);
    const now = new Date();
    await applySnapshots({ pool, tokens, now: () => now }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    const relay = new SalesRelay({ pool, bus, sealer: new FanSealer(FAN_HASH_SECRET), topic });
    expect(await relay.tick()).toBe(3);

    const before = await readTopic(topic, 3);
    const keyed = keyedEmailHash(FAN_HASH_SECRET, EMAIL);
    for (const bytes of before) {
      const text = bytes.toString('utf8');
      for (const secret of [EMAIL, IP, ZIP, CHECKOUT, SHA256_EMAIL, keyed]) expect(text).not.toContain(secret);
    }
    // The outbox copy kept for a day holds the sealed form too, not the clear facts.
    const outbox = (await pool.query<{ p: string }>('SELECT payload::text AS p FROM sales_outbox')).rows;
    for (const { p } of outbox) for (const secret of [IP, ZIP, CHECKOUT]) expect(p).not.toContain(secret);

    // A consumer with the key reads them: keyed email hash (not sha256 of the address), the ZIP, the IP.
    const opened = await openAll(before);
    for (const { event, facts } of opened) {
      expect(event.version).toBe(2);
      expect(facts).toEqual({
        emailHash: keyed,
        billingZip: ZIP,
        shippingZip: ZIP,
        browserIp: IP,
        checkoutToken: CHECKOUT,
      });
      expect(facts?.emailHash).not.toBe(SHA256_EMAIL);
    }

    await redactCustomer(database().db, SHOP, customersRedact.parse(shopifyFixture('customers/redact')));
    expect(await database().db.fanDataKey.count()).toBe(0);

    // Every copy in the topic is still there and still a valid event, and none of them opens any more.
    const after = await openAll(await readTopic(topic, 3));
    expect(after.map((a) => a.event.eventId).sort()).toEqual(opened.map((o) => o.event.eventId).sort());
    for (const { event, facts } of after) {
      expect(event.version === 2 && event.fanSealed).toBeTruthy();
      expect(facts).toBeNull();
    }
  });
});
