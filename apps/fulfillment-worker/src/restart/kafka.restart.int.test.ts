import { salesEventV2 } from '@single/contracts';
import { kafkaServer } from '@single/testing';
import { describe, expect, it } from 'vitest';
import { effects, useRestartHarness } from '../test-support/restart-harness.ts';
import { eventually } from '../test-support/worker-harness.ts';

// Stops and starts the shared Kafka: `restart` project only (runs alone, after the other integration tests).
describe('Kafka stopped while the worker process fulfils orders', () => {
  // Whatever happened, leave Kafka running for everyone else.
  const harness = useRestartHarness({ beforeClose: () => kafkaServer('start') });

  const unpublished = async () =>
    (
      await harness().pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM sales_outbox WHERE published_at IS NULL',
      )
    ).rows[0]!.n;

  it('fulfilment goes on and the outbox grows; after the restart it drains and consumers see each event once', async () => {
    const h = harness();
    const { received } = h; // the harness consumes the worker's sales topic from the beginning
    await h.spawn();
    await h.publishPaidOrders(10);
    await eventually(async () => expect(received).toHaveLength(30), 30_000);

    await kafkaServer('stop');
    await h.publishPaidOrders(20, 10);
    // Fulfilment does not wait for Kafka: grants, emails and outbox rows for every order.
    await eventually(async () => {
      expect(await effects(h)).toEqual({ orders: 30, grants: 90, sales: 90, emails: 30 });
      expect(h.smtp.received).toHaveLength(30);
    }, 30_000);
    expect(await unpublished()).toBe(60);
    const { rows: waiting } = await h.pool.query<{ event_id: string }>('SELECT event_id FROM sales_outbox');
    await new Promise((r) => setTimeout(r, 2_000)); // the relay keeps failing: rows wait, none is lost
    expect(await unpublished()).toBe(60);

    await kafkaServer('start');
    await eventually(async () => {
      expect(await unpublished()).toBe(0);
      expect(received.length).toBeGreaterThanOrEqual(90);
    }, 90_000);
    await new Promise((r) => setTimeout(r, 2_000)); // room for a duplicate to arrive, if there were one

    const ids = received.map((r) => r.eventId);
    expect(new Set(ids).size).toBe(ids.length); // no event id twice
    // Every event published: the 30 from before the outage and the 60 that waited in the outbox.
    expect(ids).toHaveLength(90);
    expect(ids).toEqual(expect.arrayContaining(waiting.map((r) => r.event_id)));
    // Version 2: the fan facts sealed (crypto-shredding).
    for (const { payload } of received) expect(salesEventV2.parse(payload)).toEqual(payload);
    expect(await h.deadLetters()).toBe(0);
  });
});
