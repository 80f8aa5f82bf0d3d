import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { eventually, type Platform, startPlatform } from '@single/artist-api/test-support/platform';
import { seedAccount, seedArtist, seedRelease, seedShop, writeAudio } from '@single/artist-api/test-support/seed';
import { mimeLeaves, parseMime, type ReceivedMail, sharedFixture } from '@single/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, launchChromium, screenshots } from './browser.ts';

// The fan's side in Debian's headless Chromium: a signed orders/paid webhook through the whole platform on the
// real servers (dispatcher, RabbitMQ, the fulfillment worker, a real SMTP server), the email as sent opened in
// the browser, its link followed to the artist API's download page, a format picked and a track downloaded.

const SHOP = 'fan-side.myshopify.com';
const FAN = 'riley.fan@example.com';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let platform: Platform;
let browser: Browser;
let page: Page;
let releaseId: string;
let mail: ReceivedMail;
const flac = randomBytes(4096);

/**
 * The HTML part of a message the test SMTP server received. The server already undid the quoted-printable
 * encoding (`source`), so such parts are read as the 8-bit text they now are.
 */
function htmlOf(received: ReceivedMail): string {
  const bytes = Buffer.from(
    received.source.replaceAll(/Content-Transfer-Encoding: quoted-printable/gi, 'Content-Transfer-Encoding: 8bit'),
    'latin1',
  );
  const html = mimeLeaves(parseMime(bytes)).find((part) => part.contentType === 'text/html');
  if (!html) throw new Error('the email has no HTML part');
  return html.body;
}

/** The fan's grant and how many downloads it spent. */
async function spent() {
  const { rows } = await platform.pool.query<{ downloads_used: number; downloads: number }>(
    `SELECT g.downloads_used, (SELECT count(*)::int FROM download d WHERE d.grant_id = g.id) AS downloads
     FROM download_grant g WHERE g.release_id = $1`,
    [releaseId],
  );
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

beforeAll(async () => {
  platform = await startPlatform();
  const account = await seedAccount(platform.pool, 'Harbour Lights Records', ['read', 'write']);
  await seedShop(platform.pool, account.accountId, SHOP);
  const artistId = await seedArtist(platform.pool, account.accountId, 'Neon Harbor');
  // A pre-order out in ten days, its first track out an hour ago ("instant grat").
  const now = Date.now();
  const release = await seedRelease(platform.pool, artistId, {
    title: 'Night Ferry',
    releaseInstant: new Date(now + 10 * DAY),
    downloadLimit: 3,
    tracks: [{ title: 'Harbor Lights', releaseInstant: new Date(now - HOUR) }, { title: 'Night Ferry' }],
  });
  releaseId = release.id;
  // Only FLAC is stored: the file served must be the format the fan picked, not the picker's default (MP3).
  await writeAudio(platform.audioDir, { releaseId, format: 'flac', track: 1 }, flac, platform.pool);

  const order = JSON.parse(await readFile(sharedFixture('shopify/orders-paid.json'), 'utf8')) as {
    line_items: { product_id: number; variant_id: number; sku: string }[];
  };
  const line = order.line_items[0]!;
  const mapping = await platform.api.app.inject({
    method: 'POST',
    url: '/v1/product-mappings',
    headers: account.auth,
    payload: { shopDomain: SHOP, productId: String(line.product_id), variantId: String(line.variant_id), releaseId },
  });
  expect(mapping.statusCode, mapping.body).toBe(201);
  const delivered = await platform.deliver('orders/paid', Buffer.from(JSON.stringify(order)), SHOP);
  expect(delivered.statusCode, delivered.body).toBe(200);
  mail = await eventually(async () => {
    const found = platform.smtp.received.find((m) => m.to.includes(FAN));
    if (!found) throw new Error('no email for the fan yet');
    return found;
  });

  browser = await launchChromium();
  const context = await browser.newContext({ acceptDownloads: true, locale: 'en-US' });
  page = await context.newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await platform?.close();
});

describe('the fan in the browser', () => {
  it('opens the link of the email as sent (itself accessible), and the page alone spends no download', async () => {
    // The email's HTML part as a mail client shows it, then its link.
    await page.setContent(htmlOf(mail));
    await expectAccessible(page, 'download-email');
    await screenshots(page, 'download-email');
    const link = page.getByRole('link', { name: /Night Ferry/ });
    const href = (await link.getAttribute('href'))!;
    expect(href.startsWith(`${platform.apiUrl}/d/`)).toBe(true);
    await link.click();
    await page.getByRole('heading', { level: 1, name: 'Night Ferry' }).waitFor();
    expect(page.url()).toBe(href);

    // The cover art loaded (the placeholder without an upload) and is described.
    const art = page.getByRole('img', { name: 'Cover art of Night Ferry' });
    await expect.poll(() => art.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    // The track out now, with its downloads left; the other coming later with a running countdown.
    const out = page.getByRole('list', { name: 'Available now' }).getByRole('listitem');
    expect(await out.count()).toBe(1);
    expect(await out.textContent()).toMatch(/^1\. Harbor Lights.*3 of 3 downloads left$/);
    const later = page.getByRole('list', { name: 'Coming later' }).getByRole('listitem');
    const laterTexts = await later.allTextContents();
    expect(laterTexts.map((t) => t.split(' Arrives on')[0])).toEqual(['The whole release (zip)', '2. Night Ferry']);
    await expect
      .poll(() => later.filter({ hasText: 'Night Ferry' }).getByRole('timer').textContent())
      .toMatch(/^\(in (9|10) days?/);
    // A pre-order: no whole-release download before its date.
    expect(await page.getByRole('button', { name: /Download the whole release/ }).count()).toBe(0);

    // Opening and reloading the page (as a mail scanner or a link preview would fetch it) counts nothing.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Night Ferry' }).waitFor();
    expect(await spent()).toEqual({ downloads_used: 0, downloads: 0 });
    await expectAccessible(page, 'fan-page');
    await screenshots(page, 'fan-page');
  });

  it('downloads the picked format only on the fan’s click', async () => {
    const formats = page.getByRole('group', { name: 'Format' });
    // Only what is stored is offered (FLAC), and chosen: never a format whose download would fail.
    expect(await formats.getByRole('radio').count()).toBe(1);
    expect(await formats.getByRole('radio', { name: /FLAC/ }).isChecked()).toBe(true);
    const button = page.getByRole('button', { name: /Download 1\. Harbor Lights/ });

    // A page older than the catalogue (its format no longer stored): the post answers a page for the fan with a
    // way back, not problem+json, and counts nothing.
    await formats.getByRole('radio', { name: /FLAC/ }).evaluate((radio) => {
      (radio as HTMLInputElement).value = 'mp3';
    });
    await button.click();
    await page.getByRole('heading', { level: 1, name: 'The file is not available right now' }).waitFor();
    expect(await page.getByText('pick another format').count()).toBe(1);
    await expectAccessible(page, 'fan-page-refusal');
    expect(await spent()).toEqual({ downloads_used: 0, downloads: 0 });
    await page.getByRole('link', { name: 'Back to your download page' }).click();
    await page.getByRole('heading', { level: 1, name: 'Night Ferry' }).waitFor();

    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    expect(download.suggestedFilename()).toMatch(/Harbor Lights.*\.flac$/);
    expect((await readFile((await download.path())!)).equals(flac)).toBe(true);
    expect(await spent()).toEqual({ downloads_used: 1, downloads: 1 });

    await page.reload();
    await expect
      .poll(() => page.getByRole('list', { name: 'Available now' }).textContent())
      .toContain('2 of 3 downloads left');
    expect(await spent()).toEqual({ downloads_used: 1, downloads: 1 });
  });
}, 120_000);
