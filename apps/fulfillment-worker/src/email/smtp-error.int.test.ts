import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '@single/logger';
import { useTestDatabase } from '@single/testing';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadTokens } from '../grants/tokens.ts';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { paidOrder, SHOP, seedCatalogue } from '../test-support/fixtures.ts';
import { Mailer } from './mailer.ts';

const tokens = new DownloadTokens(['smtp-error-secret-smtp-error-secret-0001']);
const FAN = 'riley.fan@example.com';

/**
 * A real SMTP server that refuses the recipient the way real ones do: its reply quotes the address. Neither
 * email_message.last_error nor the worker's log may keep it (issue 14, privacy that holds).
 */
describe('a refused email keeps no address (last_error, logs)', () => {
  const database = useTestDatabase();
  let pool: pg.Pool;
  let server: SMTPServer;
  let port: number;
  let replyCode: number;

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 3 });
    replyCode = 550;
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo(address, _session, callback) {
        const reply = `5.1.1 <${address.address}>: Recipient address rejected: User unknown in virtual mailbox table`;
        callback(Object.assign(new Error(reply), { responseCode: replyCode }));
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
    await seedCatalogue(database().db, { now: new Date() });
  });
  afterEach(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await pool.end();
  });

  // With a ladder left: a permanent refusal (5xx to RCPT TO) fails at once, a transient one waits its step.
  for (const [code, status, errorClass, failedClass] of [
    [550, 'failed', 'permanent', 'permanent'],
    [452, 'pending', 'transient', null],
  ] as const) {
    it(`${code}: ${status} at once, stores the code and class, never the reply quoting ${FAN}`, async () => {
      replyCode = code;
      const lines: string[] = [];
      const destination = new Writable({
        write(chunk, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      });
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
      const clock = new Date();
      await applySnapshots({ pool, tokens, now: () => clock }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
      const mailer = new Mailer({
        pool,
        transport,
        tokens,
        from: 'Single <downloads@single.example>',
        downloadBaseUrl: 'https://dl.single.example',
        retryDelaysMs: [1_000, 2_000],
        now: () => clock,
        logger: createLogger({ level: 'info', destination }),
      });
      expect(await mailer.tick()).toBe(1);
      transport.close();

      const row = await database().db.emailMessage.findFirstOrThrow();
      expect(row.status).toBe(status);
      expect(row.lastError).toBe(`smtp ${errorClass} ${code} EENVELOPE RCPT TO`);
      expect(row.lastError).not.toMatch(/@|riley/i);
      expect(row.errorClass).toBe(failedClass);
      const log = lines.join('');
      expect(log).toContain('email not sent');
      expect(log).toContain(`"responseCode":${code}`);
      expect(log).not.toMatch(/riley|example\.com|Recipient address rejected/i);
    });
  }
});
