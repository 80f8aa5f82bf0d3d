import { describe, expect, it } from 'vitest';
import { effects, useRestartHarness } from '../test-support/restart-harness.ts';
import { eventually } from '../test-support/worker-harness.ts';

// Runs the real worker process (src/main.ts) and SIGKILLs it; in the `restart` project with the other
// tests that break things on purpose.
describe('worker process killed (SIGKILL) in the middle of a handler', () => {
  const harness = useRestartHarness();

  it('the messages are redelivered to the next worker: one grant per unit and one email per order', async () => {
    const h = harness();
    // The test holds a lock the handler needs late in its transaction: the order, its lines, grants and
    // sales events are written (uncommitted) when queuing the email blocks. No hook in the worker's code.
    const blocker = await h.pool.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE email_message IN EXCLUSIVE MODE');
    const first = await h.spawn();
    const orderIds = await h.publishPaidOrders(3);

    const blockedHandler = `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO email_message%'`;
    await eventually(async () => {
      const { rows } = await h.pool.query<{ n: number }>(blockedHandler);
      expect(rows[0]!.n).toBeGreaterThan(0);
    });
    // Also proves where the handler stands: its grants exist, in its own transaction only.
    const { rows: inFlight } = await h.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
       WHERE c.relname = 'download_grant' AND l.mode = 'RowExclusiveLock' AND l.granted`,
    );
    expect(inFlight[0]!.n).toBeGreaterThan(0);

    await first.kill();
    await blocker.query('COMMIT');
    blocker.release();
    // The dead worker's transactions never commit: its backends abort once they see the closed socket.
    await eventually(async () => {
      const { rows } = await h.pool.query<{ n: number }>(blockedHandler);
      expect(rows[0]!.n).toBe(0);
      expect(await effects(h)).toEqual({ orders: 0, grants: 0, sales: 0, emails: 0 });
    });
    expect(h.smtp.received).toHaveLength(0);

    await h.spawn();
    await eventually(async () => {
      expect(await effects(h)).toEqual({ orders: 3, grants: 9, sales: 9, emails: 3 });
      expect(h.smtp.received).toHaveLength(3);
    }, 30_000);
    await new Promise((r) => setTimeout(r, 1_000)); // room for a duplicate to show up, if there were one
    expect(await effects(h)).toEqual({ orders: 3, grants: 9, sales: 9, emails: 3 });
    expect(h.smtp.received).toHaveLength(3);
    const subjects = h.smtp.received.map((m) => /Subject: .*order (#R\d+)/.exec(m.source)?.[1]).sort();
    expect(subjects).toEqual(orderIds.map((id) => `#R${id}`));
    const { rows: units } = await h.pool.query<{ n: number }>(
      'SELECT count(DISTINCT (order_line_id, release_id, unit_index))::int AS n FROM download_grant',
    );
    expect(units[0]!.n).toBe(9);
    expect(await h.deadLetters()).toBe(0);
  });
});
