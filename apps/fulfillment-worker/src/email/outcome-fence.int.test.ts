import { startTestSmtpServer, type TestSmtpServer, useTestDatabase } from '@single/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadTokens } from '../grants/tokens.ts';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { OutboxMetrics } from '../support/outbox-metrics.ts';
import { paidOrder, SHOP, seedCatalogue } from '../test-support/fixtures.ts';
import { Mailer, type MailTransport } from './mailer.ts';

const tokens = new DownloadTokens(['outcome-fence-secret-outcome-fence-0001']);

describe('mailer outcomes (real SMTP server, PostgreSQL)', () => {
  const database = useTestDatabase();
  let pool: pg.Pool;
  let smtp: TestSmtpServer;
  let transport: ReturnType<TestSmtpServer['transport']>;
  let metrics: OutboxMetrics;

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 3 });
    smtp = await startTestSmtpServer();
    transport = smtp.transport();
    metrics = new OutboxMetrics();
    await seedCatalogue(database().db, { now: new Date() });
    await applySnapshots({ pool, tokens, now: () => new Date() }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
  });
  afterEach(async () => {
    transport.close();
    await smtp.close();
    await pool.end();
  });

  const mailer = (through: MailTransport, retryDelaysMs: number[]) =>
    new Mailer({
      pool,
      transport: through,
      tokens,
      from: 'Single <downloads@single.example>',
      downloadBaseUrl: 'https://dl.single.example',
      retryDelaysMs,
      metrics,
    });
  const failures = async () =>
    (await metrics.registry.metrics()).split('\n').filter((l) => l.startsWith('fulfillment_outbox_failures_total{'));
  const grants = () =>
    database().db.downloadGrant.findMany({ orderBy: { id: 'asc' }, select: { tokenSealed: true, linkSentAt: true } });

  // Issue 15 review: nodemailer refusing the envelope or message itself (no reply code) was `unknown`, retried
  // for the whole ladder; the same email fails the same way every time.
  it('nodemailer’s own EENVELOPE (no reply code) fails at once as permanent', async () => {
    const refusing: MailTransport = {
      sendMail: async () => {
        // The shape smtp-connection's _formatError gives an envelope it refuses before any command.
        throw Object.assign(new Error('Invalid recipient "riley.fan@example.com\\r\\n"'), {
          code: 'EENVELOPE',
          command: 'API',
        });
      },
    };
    expect(await mailer(refusing, [60_000, 60_000]).tick()).toBe(1);
    const row = await database().db.emailMessage.findFirstOrThrow();
    expect([row.status, row.errorClass, row.lastError]).toEqual([
      'failed',
      'permanent',
      'smtp permanent - EENVELOPE API',
    ]);
  });

  // Issue 15 review: an outcome whose fence does not match (another sender claimed the row: attempts moved on)
  // wrote nothing to the row but still marked links sent, wiped tokens and counted the failure.
  describe('an outcome write whose fence does not match leaves grants, tokens and counters alone', () => {
    /** Another sender claims the row (attempts + 1) while this one's send is in flight. */
    const overtaken: MailTransport = {
      sendMail: async (message) => {
        await pool.query('UPDATE email_message SET attempts = attempts + 1');
        return transport.sendMail(message);
      },
    };

    it('sent: the links stay unsent and sealed for the sender that owns the row now', async () => {
      const before = await grants();
      expect(before.some((g) => g.tokenSealed !== null)).toBe(true);
      expect(await mailer(overtaken, [60_000]).tick()).toBe(1);
      expect(smtp.received).toHaveLength(1); // this attempt's send did go out
      const row = await database().db.emailMessage.findFirstOrThrow();
      expect([row.status, row.attempts]).toEqual(['sending', 2]); // the new owner's, untouched
      expect(await grants()).toEqual(before);
    });

    it('failed: no tokens wiped, no failure counted', async () => {
      smtp.failing = true; // 451, and no ladder left: this attempt's outcome is `failed`
      const before = await grants();
      expect(await mailer(overtaken, []).tick()).toBe(1);
      const row = await database().db.emailMessage.findFirstOrThrow();
      expect([row.status, row.errorClass]).toEqual(['sending', null]);
      expect(await failures()).toEqual([]);
      expect(await grants()).toEqual(before);
    });
  });
});
