import { salesEventV2 } from '@single/contracts';
import { createKafkaEventBus, type EventBus } from '@single/events';
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

const tokens = new DownloadTokens(['relay-secret-relay-secret-relay-secret-1']);

describe('sales outbox relay to Kafka (real broker)', () => {
  const database = useTestDatabase();
  const kafka = createKafkaTestContext();
  let pool: pg.Pool;
  let bus: EventBus;

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 3 });
    bus = createKafkaEventBus({ brokers: kafka.brokers, clientId: 'fulfillment-relay-test' });
    await seedCatalogue(database().db);
  });
  afterEach(async () => {
    await bus.close();
    await pool.end();
    await kafka.cleanup();
  });

  it('publishes every sale and reversal once, keyed by order id, and marks the rows published', async () => {
    const topic = kafka.topic();
    await bus.ensureTopics([topic], 3);
    const now = new Date();
    await applySnapshots({ pool, tokens, now: () => now }, [
      { shopDomain: SHOP, snapshot: paidOrder() },
      { shopDomain: SHOP, snapshot: paidOrder({ id: 5550001002 }) },
    ]);
    await applyRefund(database().db, SHOP, refundFixture(), now);

    const seen: { key: string | null; eventId: string; type: string; payload: unknown }[] = [];
    await bus.subscribe({
      topics: [topic],
      groupId: kafka.groupId(),
      fromBeginning: true,
      handler: async (event) => {
        const payload = JSON.parse(event.value.toString()) as { eventId: string; type: string };
        seen.push({ key: event.key, eventId: payload.eventId, type: payload.type, payload });
      },
    });
    const sealer = new FanSealer('relay-fan-hash-secret-relay-fan-hash-secret');
    const relay = new SalesRelay({ pool, bus, sealer, topic, batchSize: 4 });
    expect(await relay.tick()).toBe(4);
    expect(await relay.tick()).toBe(3);
    expect(await relay.tick()).toBe(0);

    await eventually(async () => expect(seen).toHaveLength(7));
    expect(new Set(seen.map((s) => s.eventId)).size).toBe(7);
    // What consumers receive is the shared contract, version 2 (fan facts sealed), unit index included (parse
    // strips unknown keys).
    for (const { payload } of seen) expect(salesEventV2.parse(payload)).toEqual(payload);
    expect(seen.map((s) => (s.payload as { unitIndex?: number }).unitIndex)).not.toContain(undefined);
    expect(seen.filter((s) => s.key === '5550001001').map((s) => s.type)).toEqual([
      'sale.recorded',
      'sale.recorded',
      'sale.recorded',
      'sale.reversed',
    ]);
    expect(await database().db.salesOutbox.count({ where: { publishedAt: null } })).toBe(0);
  });
});
