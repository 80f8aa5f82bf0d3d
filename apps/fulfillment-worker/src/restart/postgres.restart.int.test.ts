import { describe, expect, it } from 'vitest';
import { effects, emailsAsReceived, postgresServer, useRestartHarness } from '../test-support/restart-harness.ts';
import { eventually } from '../test-support/worker-harness.ts';

// Restarts the shared PostgreSQL: `restart` project only (runs alone, after the other integration tests).
describe('PostgreSQL restarted while orders flow through the worker process', () => {
  const harness = useRestartHarness();

  it('loses nothing and doubles nothing unflagged: grants, sales events, one email RECEIVED per order; the dead-letter queue stays empty', async () => {
    const h = harness();
    // A short outbox lease (instead of 120 s) so the test can wait past it: a row left `sending` by the
    // outage would be sent again after it, and that copy must show up here.
    const leaseMs = 8_000;
    const worker = await h.spawn({ OUTBOX_LEASE_MS: String(leaseMs) });
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

    await eventually(async () => {
      expect(await effects(h)).toEqual({ orders, grants: orders * 3, sales: orders * 3, emails: orders });
      const { emails } = await emailsAsReceived(h);
      expect(emails.filter((e) => e.status !== 'sent')).toEqual([]);
    }, 90_000);
    await new Promise((r) => setTimeout(r, leaseMs + 2_000)); // past the lease: a late resend would be here

    // What the SMTP server RECEIVED, by Message-ID: every order's email, under its own Message-ID; a copy only
    // where the row counts a resend after its lease (the outcome could not be written in time), and under the
    // same Message-ID. (A row counted may also be one claimed but never handed to SMTP before the outage: the
    // count is "may have been sent before", so copies <= count.) Outcomes are retried while the lease lasts,
    // so a restart shorter than it costs no copy.
    const { emails, strangers } = await emailsAsReceived(h);
    expect(strangers).toBe(0);
    expect(emails).toHaveLength(orders);
    expect(new Set(emails.map((e) => e.messageId)).size).toBe(orders);
    for (const e of emails) {
      expect(e.status).toBe('sent');
      expect(e.received).toBeGreaterThanOrEqual(1);
      expect(e.received - 1, `copies of ${e.orderName} not counted on its row`).toBeLessThanOrEqual(e.uncertainSends);
    }
    const resent = emails.reduce((n, e) => n + e.received - 1, 0);
    expect(h.smtp.received).toHaveLength(orders + resent);
    const { rows } = await h.pool.query<{ complete: number }>(
      `SELECT count(*)::int AS complete FROM orders o
       WHERE (SELECT count(*) FROM order_line ol JOIN download_grant g ON g.order_line_id = ol.id WHERE ol.order_id = o.id) = 3`,
    );
    expect(rows[0]!.complete).toBe(orders);
    expect(await h.deadLetters()).toBe(0);
    // The outage really hit handlers mid-stream: they failed, climbed the ladder and succeeded later.
    expect(worker.output()).toContain('retrying later');
    await worker.ready(); // and the worker is ready again without a restart of its own
    console.info(
      `[postgres restart] ${orders} orders, restart took ${restartMs} ms, nothing lost or dead-lettered, ` +
        `${h.smtp.received.length} emails received, ${resent} copies (same Message-ID, each counted on its row)`,
    );
  });
});
