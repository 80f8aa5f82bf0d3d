import { mimeLeaves, parseMime, startTestSmtpServer, type TestSmtpServer, useTestDatabase } from '@single/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DownloadTokens } from '../grants/tokens.ts';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { paidOrder, SHOP, seedCatalogue } from '../test-support/fixtures.ts';
import { Mailer, type MailTransport } from './mailer.ts';
import { composeMime } from './mime.ts';

// The download email as a mail client gets it: one multipart/alternative message with a text part and an HTML
// part, parsed back from the bytes nodemailer builds (and sent to a real SMTP server).

const tokens = new DownloadTokens(['mailer-secret-mailer-secret-mailer-001']);

describe('the download email on the wire', () => {
  const database = useTestDatabase();
  let pool: pg.Pool;
  let smtp: TestSmtpServer;
  const built: Buffer[] = [];

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 3 });
    smtp = await startTestSmtpServer();
    built.length = 0;
  });
  afterEach(async () => {
    await smtp.close();
    await pool.end();
  });

  it('is multipart/alternative with a text part and an accessible HTML part: artwork, artist, tracks, links', async () => {
    const clock = new Date();
    await seedCatalogue(database().db, { now: clock });
    await applySnapshots({ pool, tokens, now: () => clock }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    const real = smtp.transport();
    const transport: MailTransport = {
      async sendMail(message) {
        built.push(await composeMime(message));
        return real.sendMail(message);
      },
    };
    const mailer = new Mailer({
      pool,
      transport,
      tokens,
      from: 'Single <downloads@single.example>',
      downloadBaseUrl: 'https://dl.single.example',
      retryDelaysMs: [1_000],
      now: () => clock,
    });
    expect(await mailer.tick()).toBe(1);
    real.close();
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0]!.source).toMatch(/Content-Type: multipart\/alternative/);

    const message = parseMime(built[0]!);
    expect(message.contentType).toBe('multipart/alternative');
    expect(message.headers.get('subject')).toBe('Your music from order #1042 is ready to download');
    const leaves = mimeLeaves(message);
    expect(leaves.map((p) => p.contentType)).toEqual(['text/plain', 'text/html']);
    const [text, html] = leaves.map((p) => p.body.replace(/\r\n/g, '\n')) as [string, string];

    expect(html).toMatch(/^<!doctype html>\n<html lang="en"/);
    expect(html).toMatch(
      /<img src="https:\/\/dl\.single\.example\/releases\/[0-9a-f-]{36}\/artwork" alt="Cover art of Night Ferry by Neon Harbor"/,
    );
    expect(html).not.toMatch(/<table/i);
    for (const part of [text, html]) {
      expect(part).toContain('Neon Harbor');
      // The pre-order's tracks, the first before the release, with when each is out.
      expect(part).toMatch(/Harbor Lights/);
      expect(part).toMatch(/Night Ferry (<span[^>]*>)?\(out on /);
      expect(part).toContain('The full release arrives on');
      expect(part).toContain('Available now: all of it.');
      expect(part).toMatch(/https:\/\/dl\.single\.example\/d\/[A-Za-z0-9_-]{43}/);
    }
  });
});
