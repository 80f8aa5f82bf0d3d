import { readFile } from 'node:fs/promises';
import { seedSales } from '@single/artist-api/test-support/seed';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, launchChromium } from './browser.ts';
import { type Stack, startStack } from './stack.ts';

// The Chart files page lists the files the chart job stored and downloads them as stored: not a day without a
// file, and not today's recomputation of a day whose orders changed since.
let stack: Stack;
let browser: Browser;
let page: Page;
let noFileDay: string;

const dayBefore = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  stack = await startStack();
  const { rows } = await stack.artist.pool.query<{ id: string }>(
    'SELECT r.id FROM release r JOIN artist a ON a.id = r.artist_id WHERE a.account_id = $1',
    [stack.accountId],
  );
  // The day before the stored one sold too, but the job stored no file for it.
  noFileDay = dayBefore(stack.salesDay);
  await seedSales(stack.artist.pool, rows[0]!.id, noFileDay);
  // The orders changed after the file was stored: a recomputation would print other prices.
  await stack.artist.pool.query(
    `UPDATE sale_line SET net_price = 1.00 WHERE release_id = $1 AND business_date = $2::date`,
    [rows[0]!.id, stack.salesDay],
  );
  browser = await launchChromium();
  page = await (await browser.newContext({ acceptDownloads: true, locale: 'en-US' })).newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

describe('chart files in the browser', () => {
  it('lists the stored files only and downloads a file byte for byte as stored', async () => {
    await page.goto(stack.url);
    await page.getByLabel('API key').fill(stack.secret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Chart files', exact: true })
      .click();
    const link = page.getByRole('link', { name: `Download luminate-${stack.salesDay}.csv` });
    await link.waitFor();
    expect(await page.getByRole('link', { name: `Download luminate-${noFileDay}.csv` }).count()).toBe(0);
    expect(await page.getByRole('link', { name: /^Download / }).count()).toBe(1);

    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe(`luminate-${stack.salesDay}.csv`);
    // The stack's database holds this account's sales only: its cut of the stored file is the whole file.
    const bytes = await readFile((await download.path())!);
    expect(bytes.equals(stack.chartFile.content)).toBe(true);
    expect(bytes.toString('utf8')).not.toContain(',1.00,');

    // What each line counted or left out stays one click away.
    const row = page.getByRole('row', { name: new RegExp(`luminate-${stack.salesDay}`) });
    expect(await row.getByRole('cell', { name: '2', exact: true }).count()).toBe(1); // the account's lines
    await row.getByRole('button', { name: 'What it counted' }).click();
    await page.getByRole('cell', { name: 'Left out: Below the price floor' }).waitFor();
    await expectAccessible(page, 'chart-files stored');
  });
});
