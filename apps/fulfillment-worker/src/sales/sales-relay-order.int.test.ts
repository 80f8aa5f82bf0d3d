import { createKafkaEventBus, type EventBus, EventsUnavailableError } from '@single/events';
import { createKafkaTestContext, useTestDatabase } from '@single/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadTokens } from '../grants/tokens.ts';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { applyRefund } from '../handlers/refund-create/apply-refund.ts';
import { paidOrder, refundFixture, SHOP, seedCatalogue } from '../test-support/fixtures.ts';
import { eventually } from '../test-support/worker-harness.ts';
import { FanSealer } from './fan-sealing.ts';
import { SalesRelay } from './sales-relay.ts';

const tokens = new DownloadTokens(['relay-order-secret-relay-order-secret-1']);

/**
 * The real broker, except that the first publish writes only the messages of `luckyKey` (its partition's
 * request got through) and then fails as a broker lost mid-request would: a partial failure.
 */
function partiallyFailingOnce(bus: EventBus, luckyKey: string): EventBus {
  let failed = false;
  return {
    ...bus,
    async publish(topic, messages) {
      if (failed) return bus.publish(topic, messages);
      failed = true;
      await bus.publish(
        topic,
        messages.filter((m) => m.key === luckyKey),
      );
      throw new EventsUnavailableError('kafka: publish failed (injected, after a partial write)');
    },
  };
}

/**
 * The real broker, except that the relay's database connection is cut once the first publish landed: the
 * crash between the publish and the mark that records it (a worker killed, PostgreSQL restarting).
 */
function connectionLostAfterFirstPublish(bus: EventBus, admin: pg.Pool): EventBus {
  let done = false;
  return {
    ...bus,
    async publish(topic, messages) {
      await bus.publish(topic, messages);
      if (done) return;
      done = true;
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = 'sales-relay-under-test'",
      );
    },
  };
}

describe('sales relay: exactly once and in order under partial failures and lost marks (real Kafka)', () => {
  const database = useTestDatabase();
  const kafka = createKafkaTestContext();
  let pool: pg.Pool;
  let bus: EventBus;

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 3 });
    bus = createKafkaEventBus({ brokers: kafka.brokers, clientId: 'fulfillment-relay-order-test' });
    await seedCatalogue(database().db);
  });
  afterEach(async () => {
    await bus.close();
    await pool.end();
    await kafka.cleanup();
  });

  /** Two paid orders and a refund of the first: sales events of two keys in the outbox, on a topic of 3 partitions. */
  async function twoOrdersAndARefund(): Promise<string> {
    const topic = kafka.topic();
    await bus.ensureTopics([topic], 3);
    const now = new Date();
    await applySnapshots({ pool, tokens, now: () => now }, [
      { shopDomain: SHOP, snapshot: paidOrder() },
      { shopDomain: SHOP, snapshot: paidOrder({ id: 5550001002 }) },
    ]);
    await applyRefund(database().db, SHOP, refundFixture(), now);
    return topic;
  }

  it('after a partial write, publishes again only what did not land: each event once, each order in outbox order', async () => {
    const topic = await twoOrdersAndARefund();
    const { rows: outbox } = await pool.query<{ key: string; event_id: string }>(
      "SELECT key, payload->>'eventId' AS event_id FROM sales_outbox ORDER BY id",
    );

    const seen: { key: string | null; eventId: string }[] = [];
    await bus.subscribe({
      topics: [topic],
      groupId: kafka.groupId(),
      fromBeginning: true,
      handler: async (event) => {
        seen.push({ key: event.key, eventId: (JSON.parse(event.value.toString()) as { eventId: string }).eventId });
      },
    });
    const sealer = new FanSealer('relay-order-fan-hash-secret-relay-order-fan');
    const relay = new SalesRelay({ pool, bus: partiallyFailingOnce(bus, '5550001002'), sealer, topic });
    await expect(relay.tick()).rejects.toBeInstanceOf(EventsUnavailableError);
    // Nothing marked published yet: the outcome is unknown until the topic is read back.
    expect(await database().db.salesOutbox.count({ where: { publishedAt: null } })).toBe(outbox.length);
    const lucky = outbox.filter((r) => r.key === '5550001002').length;
    expect(lucky).toBeGreaterThan(0);
    // The next round finds the lucky order's events on the topic and publishes only the others.
    expect(await relay.tick()).toBe(outbox.length - lucky);
    expect(await database().db.salesOutbox.count({ where: { publishedAt: null } })).toBe(0);
    expect(await database().db.salesRelayAttempt.count()).toBe(0);

    await eventually(async () => expect(seen).toHaveLength(outbox.length));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(seen).toHaveLength(outbox.length);
    expect(new Set(seen.map((s) => s.eventId)).size).toBe(outbox.length);
    for (const key of ['5550001001', '5550001002']) {
      expect(seen.filter((s) => s.key === key).map((s) => s.eventId)).toEqual(
        outbox.filter((r) => r.key === key).map((r) => r.event_id),
      );
    }
  });

  it('a publish that landed but whose mark was lost with the connection is not published again', async () => {
    const topic = await twoOrdersAndARefund();
    const expected = await database().db.salesOutbox.count();

    const relayPool = new pg.Pool({
      connectionString: database().url,
      max: 1,
      application_name: 'sales-relay-under-test',
    });
    relayPool.on('error', () => undefined);
    try {
      const sealer = new FanSealer('relay-order-fan-hash-secret-relay-order-fan');
      const relay = new SalesRelay({ pool: relayPool, bus: connectionLostAfterFirstPublish(bus, pool), sealer, topic });
      // pg_terminate_backend reaches the client as a termination notice or a plain reset, depending on timing.
      await expect(relay.tick()).rejects.toThrow(/terminat|connection|ECONNRESET/i);
      expect(await database().db.salesOutbox.count({ where: { publishedAt: null } })).toBe(expected);
      expect(await database().db.salesRelayAttempt.count()).toBe(1);
      // Settled by reading the topic back: everything landed, nothing goes again.
      expect(await relay.tick()).toBe(0);
      expect(await database().db.salesOutbox.count({ where: { publishedAt: null } })).toBe(0);
      expect(await database().db.salesRelayAttempt.count()).toBe(0);
    } finally {
      await relayPool.end();
    }
    const onTopic = await bus.readFrom(topic, new Map());
    expect(onTopic).toHaveLength(expected);
    expect(new Set(onTopic.map((e) => e.headers['event-id'])).size).toBe(expected);
  });

  it('an attempt left for a topic that no longer exists is settled as not landed: the rows go to the topic in use', async () => {
    const topic = await twoOrdersAndARefund();
    const ids = (await database().db.salesOutbox.findMany({ select: { id: true } })).map((r) => r.id);
    await database().db.salesRelayAttempt.create({
      data: { topic: `${topic}.deleted`, endOffsets: { '0': '5' }, outboxIds: ids },
    });
    const sealer = new FanSealer('relay-order-fan-hash-secret-relay-order-fan');
    const relay = new SalesRelay({ pool, bus, sealer, topic });
    expect(await relay.tick()).toBe(ids.length);
    expect(await database().db.salesRelayAttempt.count()).toBe(0);
    const onTopic = await bus.readFrom(topic, new Map());
    expect(new Set(onTopic.map((e) => e.headers['event-id'])).size).toBe(ids.length);
    expect(onTopic).toHaveLength(ids.length);
  });
});
