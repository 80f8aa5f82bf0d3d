import { seedPaidOrder, seedRelease } from '@single/artist-api/test-support/seed';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, launchChromium } from './browser.ts';
import { type Stack, startStack } from './stack.ts';

// The overview's "Pre-orders waiting": per upcoming release, how many fans' units wait (grants scheduled) and
// when they are delivered, as the artist API counts them; a revoked unit (refund or cancellation) stops waiting.
let stack: Stack;
let browser: Browser;
let page: Page;
const SHOP = 'northern-lights.myshopify.com';
const releaseInstant = new Date(Date.now() + 12 * 86_400_000);
const grants: string[] = [];

beforeAll(async () => {
  stack = await startStack();
  const { rows } = await stack.artist.pool.query<{ id: string }>('SELECT id FROM artist WHERE account_id = $1', [
    stack.accountId,
  ]);
  const release = await seedRelease(stack.artist.pool, rows[0]!.id, { title: 'Aurora Rising', releaseInstant });
  await stack.artist.pool.query('UPDATE release SET preorder = true WHERE id = $1', [release.id]);
  for (let i = 0; i < 3; i++) {
    const order = await seedPaidOrder(stack.artist.pool, {
      shopDomain: SHOP,
      releaseId: release.id,
      status: 'scheduled',
    });
    grants.push(order.grantId);
  }
  browser = await launchChromium();
  page = await (await browser.newContext({ locale: 'en-US', timezoneId: 'Europe/Berlin' })).newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const scheduled = async () =>
  (
    await stack.artist.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM download_grant g JOIN release r ON r.id = g.release_id
       WHERE r.title = 'Aurora Rising' AND g.status = 'scheduled'`,
    )
  ).rows[0]!.n;

const waitingRow = () =>
  page
    .getByTestId('preorders-waiting')
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name: 'Aurora Rising' }) });

describe('pre-orders waiting on the overview', () => {
  it('shows the units waiting for each upcoming release and when they are delivered', async () => {
    await page.goto(stack.url);
    await page.getByLabel('API key').fill(stack.secret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await waitingRow().waitFor();
    const cells = await waitingRow().getByRole('cell').allTextContents();
    expect(await scheduled()).toBe(3);
    expect(cells[0]).toBe('3');
    // The release instant in the viewer's zone (Berlin), and its business day (New York).
    const inBerlin = new Intl.DateTimeFormat('en-US', {
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: 'numeric',
      minute: '2-digit',
      timeZoneName: 'short',
      timeZone: 'Europe/Berlin',
    }).format(releaseInstant);
    const businessDay = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone: 'America/New_York' }).format(
      releaseInstant,
    );
    expect(cells[1]?.replaceAll(/[\u00a0\u202f]/g, ' ')).toContain(inBerlin.replaceAll(/[\u00a0\u202f]/g, ' '));
    expect(cells[1]).toContain(`business day ${businessDay}`);
    await expectAccessible(page, 'overview with pre-orders waiting');
  });

  it('counts one less once a refund revokes a unit', async () => {
    // What the worker's revokeGrants writes for a refunded or cancelled unit.
    await stack.artist.pool.query(`UPDATE download_grant SET status = 'revoked', revoked_at = now() WHERE id = $1`, [
      grants[0],
    ]);
    expect(await scheduled()).toBe(2);
    await page.reload();
    await expect.poll(async () => (await waitingRow().getByRole('cell').allTextContents())[0]).toBe('2');
  });
});
