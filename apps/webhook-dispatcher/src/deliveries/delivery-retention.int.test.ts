import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, signedRequest, startHarness, uniqueOrderBody } from '../test-support/harness.ts';
import { deleteOldDeliveriesBatch, sweepOldDeliveries } from './delivery-retention.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => h.close());

async function accept(n: number): Promise<string> {
  const request = signedRequest('orders/paid', uniqueOrderBody(n));
  expect((await h.dispatcher.app.inject(request)).statusCode).toBe(200);
  return request.headers['x-shopify-webhook-id'];
}

/** Ages a delivery as if received `days` ago and published (no outbox row), its payload window over. */
async function age(webhookId: string, days: number, payloadExpired = true) {
  await h.pool.query(
    'DELETE FROM dispatch_outbox WHERE delivery_id = (SELECT id FROM webhook_delivery WHERE webhook_id = $1)',
    [webhookId],
  );
  await h.pool.query(
    `UPDATE webhook_delivery SET received_at = now() - $2 * interval '1 day', status = 'published',
            payload_expires_at = CASE WHEN $3 THEN now() - interval '1 minute' ELSE now() + interval '1 day' END
     WHERE webhook_id = $1`,
    [webhookId, days, payloadExpired],
  );
}

/** One after the other, so that the rows' ids follow the array. */
async function acceptAll(ns: number[]): Promise<string[]> {
  const ids: string[] = [];
  for (const n of ns) ids.push(await accept(n));
  return ids;
}

const remaining = async () =>
  (await h.pool.query<{ webhook_id: string }>('SELECT webhook_id FROM webhook_delivery ORDER BY id')).rows.map(
    (r) => r.webhook_id,
  );

describe('delivery log retention', () => {
  it('deletes rows past the retention in batches of N, and keeps newer rows, owed publishes and replayable payloads', async () => {
    const ids = await acceptAll([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const id of ids.slice(0, 5)) await age(id, 31);
    await age(ids[5] as string, 29); // inside the 30 days
    await age(ids[6] as string, 31, false); // payload still held for replay
    // ids[7]: old, but its publish is still owed (an outbox row): the relay needs it.
    await h.pool.query("UPDATE webhook_delivery SET received_at = now() - interval '31 days' WHERE webhook_id = $1", [
      ids[7],
    ]);

    expect(await sweepOldDeliveries(h.dispatcher.db, { retentionDays: 30, batchSize: 2 })).toEqual({
      deleted: 5,
      batches: 3,
    });
    expect(await remaining()).toEqual(ids.slice(5));
    expect(await h.count('SELECT count(*) AS n FROM dispatch_outbox')).toBe(1);
  });

  it('never deletes a row younger than three days (the dedupe window of Shopify retries), whatever the setting', async () => {
    const [young, old] = await acceptAll([0, 1]);
    await age(young as string, 2);
    await age(old as string, 4);
    expect((await sweepOldDeliveries(h.dispatcher.db, { retentionDays: 0 })).deleted).toBe(1);
    expect(await remaining()).toEqual([young]);
  });

  it('neither blocks intake nor waits for a row someone holds', async () => {
    const ids = await acceptAll([0, 1, 2]);
    for (const id of ids) await age(id, 40);
    // A sweep batch in progress (its transaction still open) holds the first row ...
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let batched: (n: number) => void = () => {};
    const firstBatch = new Promise<number>((resolve) => {
      batched = resolve;
    });
    const sweeper = h.dispatcher.db.$transaction(
      async (tx) => {
        batched(await deleteOldDeliveriesBatch(tx, 30, 1));
        await held;
      },
      { timeout: 60_000 },
    );
    // ... and a replay taking the second holds it too (a key-share lock, as its outbox insert takes).
    const replay = await h.pool.connect();
    await replay.query('BEGIN');
    try {
      expect(await Promise.race([firstBatch, sweeper.then(() => -1)])).toBe(1);
      await replay.query('SELECT 1 FROM webhook_delivery WHERE webhook_id = $1 FOR KEY SHARE', [ids[1]]);

      // A new delivery is claimed meanwhile, at once.
      const started = Date.now();
      await accept(10);
      expect(Date.now() - started).toBeLessThan(1_000);
      // Another replica's sweep skips both held rows instead of waiting, and takes the free one.
      const other = Date.now();
      expect(await sweepOldDeliveries(h.dispatcher.db, { retentionDays: 30, batchSize: 10 })).toEqual({
        deleted: 1,
        batches: 1,
      });
      expect(Date.now() - other).toBeLessThan(1_000);
    } finally {
      release();
      await sweeper;
      await replay.query('COMMIT');
      replay.release();
    }
    expect(await remaining()).toEqual([ids[1], expect.any(String)]);
  });
});
