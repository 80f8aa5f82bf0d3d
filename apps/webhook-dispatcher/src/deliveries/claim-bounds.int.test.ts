import { silentLogger } from '@single/logger';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp, type Dispatcher } from '../app.ts';
import { maintenanceSwitch } from '../maintenance.ts';
import { type Harness, SECRET, signedRequest, startHarness, uniqueOrderBody } from '../test-support/harness.ts';
import { dedupeCache } from './dedupe-cache.ts';

let h: Harness;
let app: Dispatcher;
beforeEach(async () => {
  h = await startHarness();
  const logger = silentLogger();
  // Four flushes in flight, then at most two claims may wait; each request has 800 ms to be durable.
  app = buildApp({
    logger,
    pool: h.pool,
    dedupe: dedupeCache(h.cache, logger),
    maintenance: maintenanceSwitch({ envFlag: false, readFlag: async () => null, refreshMs: 0 }),
    secrets: [SECRET],
    claimDeadlineMs: 800,
    claimQueueMax: 2,
  });
});
afterEach(async () => {
  await app.app.close();
  await h.close();
});

const counts = async () => ({
  deliveries: await h.count('SELECT count(*) AS n FROM webhook_delivery'),
  outbox: await h.count('SELECT count(*) AS n FROM dispatch_outbox'),
});

type Answer = { statusCode: number; code: string; retryAfter: unknown; ms: number };

/** Sends `n` distinct deliveries at once while PostgreSQL stalls (a lock every claim statement waits on). */
async function sendWhileStalled(target: Dispatcher, n: number): Promise<Answer[]> {
  const blocker = await h.pool.connect();
  await blocker.query('BEGIN');
  await blocker.query('LOCK TABLE webhook_delivery IN EXCLUSIVE MODE');
  try {
    const started = Date.now();
    return await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const response = await target.app.inject(signedRequest('orders/paid', uniqueOrderBody(i)));
        return {
          statusCode: response.statusCode,
          code: (response.json() as { code: string }).code,
          retryAfter: response.headers['retry-after'],
          ms: Date.now() - started,
        };
      }),
    );
  } finally {
    // Released only after every request was answered: whatever was still waiting would commit now.
    await blocker.query('COMMIT');
    blocker.release();
  }
}

describe('claim intake under a stalled PostgreSQL', () => {
  it('never writes a claim whose request got its 503, whether it was waiting or its statement was running', async () => {
    // Four claims in flight (one statement each, stuck on the lock), two waiting for a flush slot.
    const answers = await sendWhileStalled(app, 6);
    expect(answers.map((a) => [a.statusCode, a.code, a.retryAfter])).toEqual(
      Array.from({ length: 6 }, () => [503, 'storage_unavailable', '5']),
    );
    // Nothing answered 503 is written afterwards: no delivery row, nothing owed to the broker, nothing published.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await counts()).toEqual({ deliveries: 0, outbox: 0 });
    await h.relay.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(h.received).toHaveLength(0);

    // Intake works again once PostgreSQL does: a retry of one of them is taken.
    expect((await app.app.inject(signedRequest('orders/paid', uniqueOrderBody(0)))).statusCode).toBe(200);
    expect(await counts()).toEqual({ deliveries: 1, outbox: 1 });
  });

  it('refuses claims past the queue bound at once with 503 claim_queue_full, and stores none of them', async () => {
    const answers = await sendWhileStalled(app, 9);
    expect(answers.every((a) => a.statusCode === 503 && a.retryAfter === '5')).toBe(true);
    const full = answers.filter((a) => a.code === 'claim_queue_full');
    // Four in flight, two waiting, three refused at once (long before the 800 ms deadline).
    expect(full).toHaveLength(3);
    expect(answers.filter((a) => a.code === 'storage_unavailable')).toHaveLength(6);
    expect(Math.max(...full.map((a) => a.ms))).toBeLessThan(500);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await counts()).toEqual({ deliveries: 0, outbox: 0 });
  });
});
