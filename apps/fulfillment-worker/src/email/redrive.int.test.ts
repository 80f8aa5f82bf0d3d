import type { AddressInfo } from 'node:net';
import { redriveFailedOutbox } from '@single/db/commands/outbox-redrive';
import { useTestDatabase } from '@single/testing';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadTokens, hashToken } from '../grants/tokens.ts';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { paidOrder, SHOP, seedCatalogue } from '../test-support/fixtures.ts';
import { Mailer } from './mailer.ts';

const tokens = new DownloadTokens(['redrive-secret-redrive-secret-redrive-0001']);

// Issue 15: a permanent refusal fails the email at once; `cmdr outbox redrive` (this @single/db command)
// brings it back, and the fan then gets it, under its one Message-ID, with links that work.
describe('a failed email redriven', () => {
  const database = useTestDatabase();
  let pool: pg.Pool;
  let server: SMTPServer;
  let port: number;
  let refusing = true;
  const received: string[] = [];

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 3 });
    refusing = true;
    received.length = 0;
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo(_address, _session, callback) {
        if (refusing) return callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
        callback();
      },
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push(
            Buffer.concat(chunks)
              .toString('utf8')
              .replace(/=\r?\n/g, ''),
          );
          callback();
        });
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

  it('fails at once on 550, is redriven with a fresh ladder, then sent once with its stored Message-ID', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    const clock = new Date();
    await applySnapshots({ pool, tokens, now: () => clock }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    const mailer = new Mailer({
      pool,
      transport,
      tokens,
      from: 'Single <downloads@single.example>',
      downloadBaseUrl: 'https://dl.single.example',
      retryDelaysMs: [60_000, 60_000],
      now: () => new Date(), // the redrive makes the row due at the database's now()
    });
    expect(await mailer.tick()).toBe(1);
    let row = await database().db.emailMessage.findFirstOrThrow();
    expect([row.status, row.errorClass, row.attempts]).toEqual(['failed', 'permanent', 1]);

    refusing = false; // the mailbox was fixed; ops redrives
    expect(await redriveFailedOutbox(pool, 'email', { ids: [row.id] })).toMatchObject({ redriven: [row.id] });
    row = await database().db.emailMessage.findFirstOrThrow();
    expect([row.status, row.errorClass, row.attempts]).toEqual(['pending', null, 0]);
    expect(await mailer.tick()).toBe(1);
    transport.close();

    row = await database().db.emailMessage.findFirstOrThrow();
    expect([row.status, row.attempts]).toEqual(['sent', 1]);
    expect(received).toHaveLength(1);
    expect(received[0]).toContain(`Message-ID: ${row.messageId}`);
    // Its links were wiped when it failed; the redriven email carries new ones that work.
    const links = [...new Set([...received[0]!.matchAll(/\/d\/([A-Za-z0-9_-]{43})/g)].map((m) => m[1]!))];
    const live = await database().db.downloadGrant.findMany({ where: { status: { in: ['active', 'scheduled'] } } });
    expect(links.map(hashToken).sort()).toEqual(live.map((g) => g.tokenHash).sort());
  });
});
