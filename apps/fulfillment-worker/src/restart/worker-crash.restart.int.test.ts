import { describe, expect, it } from 'vitest';
import { effects, emailsAsReceived, pausedAt, useRestartHarness } from '../test-support/restart-harness.ts';
import { eventually } from '../test-support/worker-harness.ts';
import { QUEUES } from '../topology.ts';

// Runs the real worker process (src/main.ts) and SIGKILLs it at the two points where a crash can double a
// side effect (issue 15), found with the worker's test-only TEST_PAUSE_AT: it prints a marker line there and
// waits, and the test kills it. What counts is what the SMTP server RECEIVED, by Message-ID. In the
// `restart` project with the other tests that break things on purpose.
describe('worker process killed (SIGKILL) where a side effect could double', () => {
  const harness = useRestartHarness();

  it('after the handler committed and before the RabbitMQ ack: redelivered, and every order still gets exactly one email', async () => {
    const h = harness();
    const first = await h.spawn({ TEST_PAUSE_AT: 'after_commit_before_ack' });
    const orderIds = await h.publishPaidOrders(3);
    const webhookId = await pausedAt(first, 'after_commit_before_ack');
    expect(orderIds.map((id) => `w-${id}`)).toContain(webhookId);
    // The paused message's order is committed and its email queued; the mailer goes on sending them all.
    await eventually(async () => {
      expect(await effects(h)).toEqual({ orders: 3, grants: 9, sales: 9, emails: 3 });
      expect((await emailsAsReceived(h)).emails.map((e) => e.status)).toEqual(['sent', 'sent', 'sent']);
    }, 30_000);

    await first.kill();
    // The unacked message is back in its queue for the next worker.
    await eventually(async () => expect((await h.messaging.inspectQueue(QUEUES.orderSnapshots)).messageCount).toBe(1));
    await h.spawn();
    await eventually(async () => expect((await h.messaging.inspectQueue(QUEUES.orderSnapshots)).messageCount).toBe(0));
    await new Promise((r) => setTimeout(r, 2_000)); // room for a duplicate to show up, if there were one

    expect(await effects(h)).toEqual({ orders: 3, grants: 9, sales: 9, emails: 3 });
    const { emails, strangers } = await emailsAsReceived(h);
    expect(strangers).toBe(0);
    expect(emails.map((e) => [e.orderName, e.status, e.received, e.uncertainSends])).toEqual(
      orderIds.map((id) => [`#R${id}`, 'sent', 1, 0]),
    );
    expect(h.smtp.received).toHaveLength(3);
    expect(await h.deadLetters()).toBe(0);
  });

  it('after SMTP accepted an email and before its outcome was written: only that email is sent again, under the same Message-ID, and counted', async () => {
    const h = harness();
    const leaseMs = 3_000;
    const first = await h.spawn({ TEST_PAUSE_AT: 'after_smtp_accept', OUTBOX_LEASE_MS: String(leaseMs) });
    const orderIds = await h.publishPaidOrders(3);
    const stuckId = await pausedAt(first, 'after_smtp_accept');
    // Every other email's outcome is its own: none waits on the stuck one (sent if it was in that batch,
    // else still pending for the next worker).
    await eventually(async () => {
      const { emails } = await emailsAsReceived(h);
      expect(emails).toHaveLength(3);
      for (const e of emails) {
        if (e.id === stuckId) expect(e.status).toBe('sending');
        else expect(['sent', 'pending']).toContain(e.status);
      }
      expect(emails.find((e) => e.id === stuckId)?.received).toBe(1); // SMTP has it; the outbox does not know
    }, 30_000);

    await first.kill();
    await h.spawn({ OUTBOX_LEASE_MS: String(leaseMs) });
    await eventually(async () => {
      const { emails } = await emailsAsReceived(h);
      expect(emails.map((e) => e.status)).toEqual(['sent', 'sent', 'sent']);
    }, 30_000);
    await new Promise((r) => setTimeout(r, leaseMs + 2_000)); // past another lease: nothing more arrives

    // The guarantee, precisely: every email reached the SMTP server; only the one whose outcome was lost was
    // sent again, after its lease, with the SAME Message-ID (so a receiver dropping duplicates by Message-ID
    // shows the fan one email), and its row counts that resend.
    const { emails, strangers } = await emailsAsReceived(h);
    expect(strangers).toBe(0);
    expect(emails.map((e) => e.orderName)).toEqual(orderIds.map((id) => `#R${id}`));
    for (const e of emails) {
      expect([e.status, e.received, e.uncertainSends]).toEqual(e.id === stuckId ? ['sent', 2, 1] : ['sent', 1, 0]);
    }
    expect(new Set(emails.map((e) => e.messageId)).size).toBe(3);
    expect(h.smtp.received).toHaveLength(4);
    expect(await h.deadLetters()).toBe(0);
  });
});
