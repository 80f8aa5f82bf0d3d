import { describe, expect, it } from 'vitest';
import { effects, postgresServer, useRestartHarness } from '../test-support/restart-harness.ts';
import { eventually } from '../test-support/worker-harness.ts';

// Restarts the shared PostgreSQL: `restart` project only (runs alone, after the other integration tests).
describe('PostgreSQL restarted while orders flow through the worker process', () => {
  const harness = useRestartHarness();

  it('loses nothing: every order ends with its grants, sales events and email; the dead-letter queue stays empty', async () => {
    const h = harness();
    const worker = await h.spawn();
    let published = await h.publishPaidOrders(40);
    await eventually(async () => expect((await effects(h)).grants).toBeGreaterThan(0));

    // Orders keep arriving before, during and after the restart.
    let streaming = true;
    const stream = (async () => {
      while (streaming) {
        published = [...published, ...(await h.publishPaidOrders(10, published.length))];
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const restartMs = await postgresServer('restart');
    await new Promise((r) => setTimeout(r, 1_000));
    streaming = false;
    await stream;
    const orders = published.length;

    await eventually(
      async () => expect(await effects(h)).toEqual({ orders, grants: orders * 3, sales: orders * 3, emails: orders }),
      90_000,
    );
    const { rows } = await h.pool.query<{ complete: number }>(
      `SELECT count(*)::int AS complete FROM orders o
       WHERE (SELECT count(*) FROM order_line ol JOIN download_grant g ON g.order_line_id = ol.id WHERE ol.order_id = o.id) = 3`,
    );
    expect(rows[0]!.complete).toBe(orders);
    expect(await h.deadLetters()).toBe(0);
    // The outage really hit handlers mid-stream: they failed, climbed the ladder and succeeded later.
    expect(worker.output()).toContain('retrying later');
    await worker.ready(); // and the worker is ready again without a restart of its own
    console.info(`[postgres restart] ${orders} orders, restart took ${restartMs} ms, nothing lost or dead-lettered`);
  });
});
