import { startTestSmtpServer, type TestSmtpServer, useTestDatabase } from '@single/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadTokens, hashToken } from '../grants/tokens.ts';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { applyRefund } from '../handlers/refund-create/apply-refund.ts';
import { paidOrder, refundFixture, SHOP, seedCatalogue } from '../test-support/fixtures.ts';
import { Mailer } from './mailer.ts';

const tokens = new DownloadTokens(['mailer-secret-mailer-secret-mailer-001']);

describe('mailer (SMTP via smtp-server, PostgreSQL outbox)', () => {
  const database = useTestDatabase();
  let pool: pg.Pool;
  let smtp: TestSmtpServer;
  let transport: ReturnType<TestSmtpServer['transport']>;
  let clock: Date;

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 3 });
    smtp = await startTestSmtpServer();
    transport = smtp.transport();
    clock = new Date();
    await seedCatalogue(database().db, { now: clock });
  });
  afterEach(async () => {
    transport.close();
    await smtp.close();
    await pool.end();
  });

  const mailer = (retryDelaysMs = [1_000, 2_000]) =>
    new Mailer({
      pool,
      transport,
      tokens,
      from: 'Single <downloads@single.example>',
      downloadBaseUrl: 'https://dl.single.example',
      retryDelaysMs,
      now: () => clock,
    });

  it('sends the download email once: release, artwork, one working link per grant, formats, the pre-order date', async () => {
    await applySnapshots({ pool, tokens, now: () => clock }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    expect(await mailer().tick()).toBe(1);
    expect(await mailer().tick()).toBe(0);

    expect(smtp.received).toHaveLength(1);
    const mail = smtp.received[0]!;
    expect(mail.to).toEqual(['riley.fan@example.com']);
    expect(mail.source).toContain('Subject: Your music from order #1042 is ready to download');
    for (const title of ['Low Tide', 'Tour Live', 'Night Ferry']) expect(mail.source).toContain(title);
    expect(mail.source).toMatch(/https:\/\/dl\.single\.example\/releases\/[0-9a-f-]{36}\/artwork/);
    expect(mail.source).toContain('Formats: MP3, WAV, FLAC, ALAC');
    // The pre-order has an instant-grat track: its link comes now, with what is out when.
    expect(mail.source).toContain('Harbor Lights: out on');
    expect(mail.source).toContain('The full release arrives on');

    const links = [...new Set([...mail.source.matchAll(/\/d\/([A-Za-z0-9_-]{43})/g)].map((m) => m[1]!))];
    const live = await database().db.downloadGrant.findMany({ where: { status: { in: ['active', 'scheduled'] } } });
    expect(links.map(hashToken).sort()).toEqual(live.map((g) => g.tokenHash).sort());

    const row = await database().db.emailMessage.findFirstOrThrow();
    expect(row.status).toBe('sent');
    expect(row.attempts).toBe(1);
  });

  it('retries a transient SMTP failure on the ladder, then sends exactly once', async () => {
    await applySnapshots({ pool, tokens, now: () => clock }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    smtp.failing = true;
    expect(await mailer().tick()).toBe(1);
    let row = await database().db.emailMessage.findFirstOrThrow();
    expect([row.status, row.attempts]).toEqual(['pending', 1]);
    expect(row.nextAttemptAt.getTime()).toBe(clock.getTime() + 1_000);
    expect(await mailer().tick()).toBe(0); // not due yet

    smtp.failing = false;
    clock = new Date(clock.getTime() + 1_000);
    expect(await mailer().tick()).toBe(1);
    row = await database().db.emailMessage.findFirstOrThrow();
    expect([row.status, row.attempts]).toEqual(['sent', 2]);
    expect(smtp.received).toHaveLength(1);
  });

  it('gives up after the last step of the ladder and marks the email failed', async () => {
    await applySnapshots({ pool, tokens, now: () => clock }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    smtp.failing = true;
    for (let i = 0; i < 3; i++) {
      expect(await mailer([10, 10]).tick()).toBe(1);
      clock = new Date(clock.getTime() + 10);
    }
    const row = await database().db.emailMessage.findFirstOrThrow();
    expect(row.status).toBe('failed');
    expect(row.lastError).toContain('451');
    expect(await mailer([10, 10]).tick()).toBe(0);
  });

  it('leaves out links revoked before sending, and sends nothing when all are revoked', async () => {
    await applySnapshots({ pool, tokens, now: () => clock }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    const refundAll = refundFixture({
      refund_line_items: [
        { line_item_id: 13001001, quantity: 1 },
        { line_item_id: 13001002, quantity: 1 },
        { line_item_id: 13001003, quantity: 1 },
      ],
    });
    await applyRefund(database().db, SHOP, refundAll, clock);
    expect(await mailer().tick()).toBe(1);
    expect(smtp.received).toHaveLength(0);
    const row = await database().db.emailMessage.findFirstOrThrow();
    expect([row.status, row.lastError]).toEqual(['failed', 'grants_revoked']);
  });
});
