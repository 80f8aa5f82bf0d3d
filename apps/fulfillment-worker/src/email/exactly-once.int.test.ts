import { type AddressInfo, createServer, type Socket } from 'node:net';
import { startTestSmtpServer, type TestSmtpServer, useTestDatabase } from '@single/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadTokens } from '../grants/tokens.ts';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { paidOrder, SHOP, seedCatalogue } from '../test-support/fixtures.ts';
import { eventually } from '../test-support/worker-harness.ts';
import { Mailer, type MailTransport } from './mailer.ts';
import { createSmtpTransport } from './smtp-transport.ts';

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

  /**
   * The transport exactly as production builds it (createSmtpTransport: nodemailer's socket timeout is half the
   * lease, 1 s here) against a relay that takes the message and then, the first time, gives no answer to DATA in
   * time or drops the connection: nodemailer reports both with command CONN. The message may have been taken, so
   * the resend must be counted: the server never holds more copies than 1 + uncertain_sends.
   */
  for (const [fault, behaviour] of [
    ['answers DATA only after the socket timeout', 'slow'],
    ['drops the connection after DATA, before answering', 'drop'],
  ] as const) {
    it(`a relay that ${fault}: the resend carries the same Message-ID and is counted`, async () => {
      const relay = await startFaultyRelay(behaviour);
      const production = createSmtpTransport({
        url: `smtp://127.0.0.1:${relay.port}`,
        maxConnections: 1,
        leaseMs: 2_000,
      });
      try {
        await pool.query(`UPDATE email_message SET status = 'sent' WHERE "to" <> $1`, [FANS[0]]);
        const fan = async () => (await rows()).find((r) => r.to === FANS[0])!;
        await mailer({ transport: production, leaseMs: 2_000 }).tick();
        await eventually(async () => expect((await fan()).status).toBe('pending'), 10_000);
        expect(relay.received).toHaveLength(1); // the relay has it, the mailer could not know
        expect((await fan()).uncertain_sends).toBe(1);

        clock = new Date(clock.getTime() + 1_000); // the ladder's step
        await mailer({ transport: production, leaseMs: 2_000 }).tick();
        await eventually(async () => expect((await fan()).status).toBe('sent'), 10_000);
        const row = await fan();
        expect(relay.received.map(messageIdOf)).toEqual([row.message_id, row.message_id]);
        expect(relay.received.length).toBeLessThanOrEqual(1 + row.uncertain_sends);
      } finally {
        production.close();
        await relay.close();
      }
    });
  }
});

/**
 * A bare SMTP relay on a socket of its own: it takes every message whole, then the first time either answers DATA
 * only after 1.5 s (past the 1 s socket timeout) or closes the connection without answering; later messages get
 * 250 at once. A real SMTP server library cannot drop a connection between the end of DATA and its reply.
 */
async function startFaultyRelay(behaviour: 'slow' | 'drop') {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let inData = false;
    let data = '';
    let buffered = '';
    socket.write('220 relay ESMTP\r\n');
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (;;) {
        if (inData) {
          const end = buffered.indexOf('\r\n.\r\n');
          if (end < 0) return;
          data += buffered.slice(0, end);
          buffered = buffered.slice(end + 5);
          inData = false;
          received.push(data);
          data = '';
          const first = received.length === 1;
          if (first && behaviour === 'drop') socket.destroy();
          else if (first) setTimeout(() => socket.writable && socket.write('250 queued\r\n'), 1_500);
          else socket.write('250 queued\r\n');
          continue;
        }
        const eol = buffered.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffered.slice(0, eol).toUpperCase();
        buffered = buffered.slice(eol + 2);
        if (line.startsWith('EHLO')) socket.write('250-relay\r\n250 8BITMIME\r\n');
        else if (line.startsWith('DATA')) {
          inData = true;
          socket.write('354 go ahead\r\n');
        } else if (line.startsWith('QUIT')) socket.end('221 bye\r\n');
        else socket.write('250 ok\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
