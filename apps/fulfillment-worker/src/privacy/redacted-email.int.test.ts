import { redriveFailedOutbox } from '@single/db/commands/outbox-redrive';
import { startTestSmtpServer, type TestSmtpServer, useTestDatabase } from '@single/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Mailer } from '../email/mailer.ts';
import { DownloadTokens } from '../grants/tokens.ts';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { customersRedact } from '../shopify/payloads.ts';
import { OutboxMetrics } from '../support/outbox-metrics.ts';
import { paidOrder, SHOP, seedCatalogue, shopifyFixture } from '../test-support/fixtures.ts';
import { redactCustomer } from './privacy.service.ts';

const tokens = new DownloadTokens(['redacted-email-secret-redacted-email-01']);

// Issue 15 review: a redacted customer's email that had already failed (transient) stayed under the
// failed-emails alarm and was taken by `cmdr outbox redrive --all`, then sent to '' for another ladder.
describe('a redacted customer’s failed email', () => {
  const database = useTestDatabase();
  let pool: pg.Pool;
  let smtp: TestSmtpServer;
  let transport: ReturnType<TestSmtpServer['transport']>;

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 3 });
    smtp = await startTestSmtpServer();
    transport = smtp.transport();
    await seedCatalogue(database().db, { now: new Date() });
  });
  afterEach(async () => {
    transport.close();
    await smtp.close();
    await pool.end();
  });

  const mailer = () =>
    new Mailer({
      pool,
      transport,
      tokens,
      from: 'Single <downloads@single.example>',
      downloadBaseUrl: 'https://dl.single.example',
      retryDelaysMs: [], // the first failure is the last
    });
  const failedGauge = async (errorClass: string) => {
    const text = await new OutboxMetrics(database().db).registry.metrics();
    const series = `fulfillment_outbox_failed{outbox="email",class="${errorClass}"} `;
    return Number(
      text
        .split('\n')
        .find((l) => l.startsWith(series))
        ?.slice(series.length),
    );
  };

  it('becomes no_recipient: out of the failed-emails alarm and of redrive --all', async () => {
    await applySnapshots({ pool, tokens, now: () => new Date() }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    smtp.failing = true; // 451 to RCPT TO
    expect(await mailer().tick()).toBe(1);
    let row = await database().db.emailMessage.findFirstOrThrow();
    expect([row.status, row.errorClass]).toEqual(['failed', 'transient']);
    expect(await failedGauge('transient')).toBe(1);

    await redactCustomer(database().db, SHOP, customersRedact.parse(shopifyFixture('customers/redact')));
    row = await database().db.emailMessage.findFirstOrThrow();
    expect([row.status, row.errorClass, row.to]).toEqual(['failed', 'no_recipient', '']);
    expect(row.lastError).toContain('smtp transient 451'); // what happened to it is kept
    expect(await failedGauge('transient')).toBe(0);
    expect(await redriveFailedOutbox(pool, 'email', { all: true })).toMatchObject({ redriven: [] });
    expect((await database().db.emailMessage.findFirstOrThrow()).status).toBe('failed');
  });

  it('a claimed email with no recipient (redacted before this fix, then redriven) fails at once, no SMTP', async () => {
    await applySnapshots({ pool, tokens, now: () => new Date() }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    // What a redrive of such a row leaves: pending, no class, its recipient wiped.
    await database().db.emailMessage.updateMany({
      data: { to: '', status: 'pending', errorClass: null, nextAttemptAt: new Date(Date.now() - 1_000) },
    });
    let handed = 0;
    const counting = {
      sendMail: (message: Parameters<typeof transport.sendMail>[0]) => {
        handed++;
        return transport.sendMail(message);
      },
    };
    const m = new Mailer({
      pool,
      transport: counting,
      tokens,
      from: 'Single <downloads@single.example>',
      downloadBaseUrl: 'https://dl.single.example',
      retryDelaysMs: [60_000, 60_000],
    });
    expect(await m.tick()).toBe(1);
    const row = await database().db.emailMessage.findFirstOrThrow();
    expect([row.status, row.errorClass, row.lastError, row.attempts]).toEqual([
      'failed',
      'no_recipient',
      'no_recipient',
      1,
    ]);
    expect(handed).toBe(0);
    expect(smtp.received).toHaveLength(0);
    expect(await redriveFailedOutbox(pool, 'email', { all: true })).toMatchObject({ redriven: [] });
  });
});
