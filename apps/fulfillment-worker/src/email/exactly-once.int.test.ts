import type { AddressInfo } from 'node:net';
import { startTestSmtpServer, type TestSmtpServer, useTestDatabase } from '@single/testing';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadTokens } from '../grants/tokens.ts';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { paidOrder, SHOP, seedCatalogue } from '../test-support/fixtures.ts';
import { eventually } from '../test-support/worker-harness.ts';
import { Mailer, type MailTransport } from './mailer.ts';

const tokens = new DownloadTokens(['exactly-once-secret-exactly-once-secret-01']);
const FANS = ['ana@example.com', 'ben@example.com', 'cleo@example.com'];

/** The Message-ID header of a received message. */
const messageIdOf = (source: string) => /^Message-ID: (<[^>]+>)/im.exec(source)?.[1];

/**
 * Issue 15, side effects exactly once: each email's outcome is written as soon as SMTP answers, so one
 * email whose outcome cannot be written (its sender hangs or dies after SMTP accepted it) concerns only
 * itself, and its resend after the lease is detectable (same Message-ID, counted).
 */
describe('mailer: per-email outcome, `sending` state and a stable Message-ID', () => {
  const database = useTestDatabase();
  let pool: pg.Pool;
  let smtp: TestSmtpServer;
  let transport: ReturnType<TestSmtpServer['transport']>;
  let clock: Date;

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 6 });
    smtp = await startTestSmtpServer();
    transport = smtp.transport();
    clock = new Date();
    await seedCatalogue(database().db, { now: clock });
    await applySnapshots(
      { pool, tokens, now: () => clock },
      FANS.map((email, i) => ({ shopDomain: SHOP, snapshot: paidOrder({ id: 5_550_002_001 + i, email }) })),
    );
  });
  afterEach(async () => {
    transport.close();
    await smtp.close();
    await pool.end();
  });

  const mailer = (options: { transport?: MailTransport; at?: () => Date; leaseMs?: number } = {}) =>
    new Mailer({
      pool,
      transport: options.transport ?? transport,
      tokens,
      from: 'Single <downloads@single.example>',
      downloadBaseUrl: 'https://dl.single.example',
      retryDelaysMs: [1_000],
      leaseMs: options.leaseMs ?? 120_000,
      now: options.at ?? (() => clock),
    });

  const rows = async () =>
    (
      await pool.query<{ to: string; status: string; message_id: string; uncertain_sends: number; attempts: number }>(
        'SELECT "to", status::text, message_id, uncertain_sends, attempts FROM email_message ORDER BY "to"',
      )
    ).rows;

  it('records the others as sent while one send hangs after SMTP accepted it; after the lease that one is resent with the same Message-ID and counted', async () => {
    // A real SMTP transport whose answer for one fan never comes back to the mailer (a sender that hangs
    // or dies right after the server accepted the message: the server has it, the outbox does not know).
    let release: () => void = () => undefined;
    const stuck = new Promise<void>((resolve) => {
      release = resolve;
    });
    const hanging: MailTransport = {
      async sendMail(message) {
        const info = await transport.sendMail(message);
        if (message.to === FANS[1]) await stuck;
        return info;
      },
    };
    const first = mailer({ transport: hanging }).tick();

    // The two others are recorded as soon as SMTP accepted them, not when the batch is done.
    await eventually(async () => {
      expect((await rows()).map((r) => [r.to, r.status])).toEqual([
        [FANS[0], 'sent'],
        [FANS[1], 'sending'],
        [FANS[2], 'sent'],
      ]);
    }, 10_000);
    expect(smtp.received).toHaveLength(3);

    // That sender is gone for good; after its lease another one takes the row and sends it again.
    const later = new Date(clock.getTime() + 120_001);
    expect(await mailer({ at: () => later }).tick()).toBe(1);
    release();
    await first; // its late outcome finds the row no longer its own and writes nothing

    const after = await rows();
    expect(after.map((r) => [r.to, r.status, r.uncertain_sends])).toEqual([
      [FANS[0], 'sent', 0],
      [FANS[1], 'sent', 1],
      [FANS[2], 'sent', 0],
    ]);
    // What the SMTP server received, by Message-ID: one each, and the stuck one twice under ITS OWN id.
    const received = smtp.received.map((m) => [m.to[0], messageIdOf(m.source)]);
    expect(received).toHaveLength(4);
    for (const row of after) {
      const copies = received.filter(([to]) => to === row.to);
      expect(copies).toEqual(Array(row.uncertain_sends + 1).fill([row.to, row.message_id]));
    }
    expect(new Set(after.map((r) => r.message_id)).size).toBe(3);
  });

  it('a database failure after the claim and before any send gives the claim back: due again at once, not counted as possibly sent', async () => {
    // The real pool, with the grant read failing once (as when PostgreSQL goes away right after the claim).
    let failGrantRead = true;
    const flaky = new Proxy(pool, {
      get(target, key, receiver) {
        if (key !== 'query') return Reflect.get(target, key, receiver);
        return (text: string, values?: unknown[]) => {
          if (failGrantRead && text.includes('FROM download_grant g JOIN release r')) {
            failGrantRead = false;
            return Promise.reject(new Error('Connection terminated unexpectedly'));
          }
          return target.query(text, values);
        };
      },
    });
    const withFlakyPool = new Mailer({
      pool: flaky,
      transport,
      tokens,
      from: 'Single <downloads@single.example>',
      downloadBaseUrl: 'https://dl.single.example',
      retryDelaysMs: [1_000],
      now: () => clock,
    });
    await expect(withFlakyPool.tick()).rejects.toThrow('Connection terminated');
    expect((await rows()).map((r) => r.status)).toEqual(['pending', 'pending', 'pending']);
    expect(smtp.received).toHaveLength(0);

    expect(await mailer().tick()).toBe(3); // due now, not after the lease
    expect((await rows()).map((r) => [r.status, r.uncertain_sends])).toEqual([
      ['sent', 0],
      ['sent', 0],
      ['sent', 0],
    ]);
    expect(smtp.received).toHaveLength(3);
  });

  it('a send SMTP answers only after the send timeout is not retried while it may complete: the fan gets one copy and the row ends sent', async () => {
    // A real SMTP server that takes 1.5 s to accept DATA (a slow relay), then accepts: past the mailer's send
    // bound (half the 2 s lease), but the SMTP transaction was never going to fail.
    const received: string[] = [];
    const slow = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          received.push(Buffer.concat(chunks).toString('utf8'));
          setTimeout(() => callback(), 1_500);
        });
      },
    });
    slow.on('error', () => undefined);
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const port = (slow.server.address() as AddressInfo).port;
    const slowTransport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    try {
      await pool.query(`UPDATE email_message SET status = 'sent' WHERE "to" <> $1`, [FANS[0]]);
      const started = Date.now();
      expect(await mailer({ transport: slowTransport, leaseMs: 2_000 }).tick()).toBe(1);
      expect(Date.now() - started).toBeLessThan(1_400); // the tick is not held up past the send bound
      // Still this sender's attempt: not due for anyone else, whatever the ladder says.
      expect((await rows()).find((r) => r.to === FANS[0])!.status).toBe('sending');

      // The ladder step (1 s) passes while SMTP has not answered yet: another tick must not send it again.
      clock = new Date(clock.getTime() + 1_000);
      await mailer({ transport: slowTransport, leaseMs: 2_000 }).tick();
      await eventually(async () => {
        const row = (await rows()).find((r) => r.to === FANS[0])!;
        expect([row.status, row.attempts, row.uncertain_sends]).toEqual(['sent', 1, 0]);
      }, 10_000);
      clock = new Date(clock.getTime() + 1_000);
      expect(await mailer({ transport: slowTransport, leaseMs: 2_000 }).tick()).toBe(0);
      await new Promise((r) => setTimeout(r, 1_700)); // a second copy, had one been sent, would have landed
      const row = (await rows()).find((r) => r.to === FANS[0])!;
      expect(received.map(messageIdOf)).toEqual([row.message_id]);
    } finally {
      slowTransport.close();
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    }
  });
});
