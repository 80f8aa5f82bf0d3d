import { readFileSync } from 'node:fs';
import {
  applySnapshots,
  DownloadTokens,
  Mailer,
  orderSnapshot,
  PreorderScheduler,
} from '@single/fulfillment-worker/steps';
import { sharedFixture, startTestSmtpServer, type TestSmtpServer } from '@single/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedShop, uniqueUpc } from '../test-support/seed.ts';

const DAY = 86_400_000;
const SHOP = 'retiming.myshopify.com';
const tokens = new DownloadTokens(['retiming-secret-retiming-secret-retiming-1']);
const newYork = new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: 'America/New_York' });

// The artist re-times a pre-order through the release PATCH route; the worker's scheduler and mailer,
// ticked in between, follow the catalogue: the order email names the new date, the grant opens once, at the
// last instant set, with one "it's here" email.
describe('re-timing a pre-order through the release PATCH route', () => {
  let h: Harness;
  let smtp: TestSmtpServer;
  let auth: Record<string, string>;
  let clock: Date;
  const start = new Date(Math.ceil(Date.now() / DAY) * DAY + 5 * 3_600_000); // 00:00 New York (EST), tomorrow
  const planned = new Date(start.getTime() + 10 * DAY);

  beforeAll(async () => {
    h = await startHarness({ now: () => clock });
    smtp = await startTestSmtpServer();
    const account = await seedAccount(h.pool, 'Re-timing');
    auth = account.auth;
    await seedShop(h.pool, account.accountId, SHOP);
  });
  afterAll(async () => {
    await smtp?.close();
    await h?.close();
  });

  const call = async (method: 'POST' | 'PATCH', url: string, payload: object) => {
    const res = await h.api.app.inject({ method, url, headers: auth, payload });
    expect(res.statusCode, res.body).toBeLessThan(300);
    return res.json();
  };
  const scheduler = () => new PreorderScheduler({ db: h.database.db, now: () => clock });
  const mailer = () =>
    new Mailer({
      pool: h.pool,
      transport: smtp.transport(),
      tokens,
      from: 'Single <downloads@single.example>',
      downloadBaseUrl: 'https://dl.single.example',
      retryDelaysMs: [1_000],
      now: () => clock,
    });
  const grant = async (releaseId: string) =>
    (
      await h.pool.query<{ status: string; activate_at: Date }>(
        'SELECT status, activate_at FROM download_grant WHERE release_id = $1',
        [releaseId],
      )
    ).rows[0]!;
  const itsHere = async () =>
    (await h.pool.query(`SELECT payload FROM email_message WHERE kind = 'preorder_available'`)).rows;

  it('moves the order email, the grant and the "it\'s here" email with the catalogue, back and forth', async () => {
    clock = start;
    const artist = await call('POST', '/v1/artists', { name: 'Neon Harbor' });
    const release = await call('POST', '/v1/releases', {
      artistId: artist.id,
      title: 'Night Ferry',
      upc: uniqueUpc(),
      preorder: true,
      releaseInstant: planned.toISOString(),
      tracks: [{ position: 1, title: 'Night Ferry', isrc: 'USS1Z2600901' }],
    });
    // The fixture's pre-order line (variant 45000002); its other lines map to nothing here.
    await call('POST', '/v1/product-mappings', { shopDomain: SHOP, variantId: '45000002', releaseId: release.id });
    const paid = JSON.parse(readFileSync(sharedFixture('shopify/orders-paid.json'), 'utf8'));
    await applySnapshots({ pool: h.pool, tokens, now: () => clock }, [
      { shopDomain: SHOP, snapshot: orderSnapshot.parse(paid) },
    ]);
    expect(await grant(release.id)).toMatchObject({ status: 'scheduled' });

    // Moved a week later before the order email goes out: the email names the new date, not the planned one.
    const later = new Date(planned.getTime() + 7 * DAY);
    await call('PATCH', `/v1/releases/${release.id}`, { releaseInstant: later.toISOString() });
    expect(await mailer().tick()).toBe(1);
    const orderMail = smtp.received.at(-1)!.source.replace(/=\r?\n/g, '');
    expect(orderMail).toContain(newYork.format(later));
    expect(orderMail).not.toContain(newYork.format(planned));

    // The planned instant passes: the scheduler ticks and opens nothing.
    clock = planned;
    expect(await scheduler().tick()).toBe(0);
    expect(await grant(release.id)).toMatchObject({ status: 'scheduled' });
    // Back and forth, with a tick between the two changes (two days later still, then back): the last
    // instant set wins, and the abandoned one opens nothing when it passes.
    const further = new Date(later.getTime() + 2 * DAY);
    await call('PATCH', `/v1/releases/${release.id}`, { releaseInstant: further.toISOString() });
    clock = new Date(planned.getTime() + DAY);
    expect(await scheduler().tick()).toBe(0);
    await call('PATCH', `/v1/releases/${release.id}`, { releaseInstant: later.toISOString() });
    clock = new Date(later.getTime() - 1);
    expect(await scheduler().tick()).toBe(0);
    expect(await itsHere()).toEqual([]);

    clock = later;
    expect(await scheduler().tick()).toBe(1);
    expect(await grant(release.id)).toMatchObject({ status: 'active', activate_at: later });
    clock = new Date(further.getTime() + DAY); // the abandoned instant passes too
    expect(await scheduler().tick()).toBe(0);
    const emails = await itsHere();
    expect(emails).toHaveLength(1);
    expect(emails[0].payload.items[0].availableAt).toBe(later.toISOString());
  });
});
