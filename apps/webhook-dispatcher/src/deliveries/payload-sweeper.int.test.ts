import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixture, type Harness, signedRequest, startHarness, uniqueOrderBody } from '../test-support/harness.ts';
import { sweepExpiredPayloads } from './payload-sweeper.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => h.close());

describe('sweepExpiredPayloads', () => {
  it('clears payloads past their retention once published, and keeps the delivery log rows', async () => {
    for (const body of [fixture('orders-paid'), uniqueOrderBody(1), uniqueOrderBody(2)]) {
      expect((await h.dispatcher.app.inject(signedRequest('orders/paid', body))).statusCode).toBe(200);
    }
    // Two of three expired; one of those is still owed to the broker and keeps its payload until published.
    await h.pool.query(
      `UPDATE webhook_delivery SET payload_expires_at = now() - interval '1 minute' WHERE id IN (SELECT id FROM webhook_delivery ORDER BY id LIMIT 2)`,
    );
    await h.pool.query(`DELETE FROM dispatch_outbox WHERE delivery_id = (SELECT min(id) FROM webhook_delivery)`);
    expect(await sweepExpiredPayloads(h.dispatcher.db, 1)).toBe(1);
    const { rows } = await h.pool.query<{ cleared: boolean }>(
      'SELECT payload IS NULL AS cleared FROM webhook_delivery ORDER BY id',
    );
    expect(rows.map((r) => r.cleared)).toEqual([true, false, false]);
  });
});
