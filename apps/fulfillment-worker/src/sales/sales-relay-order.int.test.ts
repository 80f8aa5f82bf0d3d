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

describe('sales relay: one order stays in order under a partial failure (real Kafka)', () => {
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

  it('republishes the whole batch after a partial write, so each order first shows its events in outbox order', async () => {
    const topic = kafka.topic();
    await bus.ensureTopics([topic], 3);
    const now = new Date();
    await applySnapshots({ pool, tokens, now: () => now }, [
      { shopDomain: SHOP, snapshot: paidOrder() },
      { shopDomain: SHOP, snapshot: paidOrder({ id: 5550001002 }) },
    ]);
    await applyRefund(pool, SHOP, refundFixture(), now);
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
    // Nothing marked published: the whole batch, the lucky order's events included, goes again.
    expect(await database().db.salesOutbox.count({ where: { publishedAt: null } })).toBe(outbox.length);
    expect(await relay.tick()).toBe(outbox.length);

    await eventually(async () => expect(new Set(seen.map((s) => s.eventId)).size).toBe(outbox.length));
    for (const key of ['5550001001', '5550001002']) {
      const firstSeen = [...new Set(seen.filter((s) => s.key === key).map((s) => s.eventId))];
      expect(firstSeen).toEqual(outbox.filter((r) => r.key === key).map((r) => r.event_id));
    }
  });
});
