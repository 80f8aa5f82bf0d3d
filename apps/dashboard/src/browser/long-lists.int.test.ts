import { seedMapping, seedRelease } from '@single/artist-api/test-support/seed';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.ts';
import { type Stack, startStack } from './stack.ts';

// The API pages lists by 100: past the first page, the releases list, the overview's release picker and a
// release's mappings must still reach every item (the stack's own release is the oldest of 106).
let stack: Stack;
let browser: Browser;
let page: Page;
const SHOP = 'northern-lights.myshopify.com';
const EXTRA_RELEASES = 105;
const EXTRA_MAPPINGS = 105;

beforeAll(async () => {
  stack = await startStack();
  const pool = stack.artist.pool;
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM artist WHERE account_id = $1', [stack.accountId]);
  for (let i = 1; i <= EXTRA_RELEASES; i++) await seedRelease(pool, rows[0]!.id, { title: `Single ${i}` });
  const polarNight = await pool.query<{ id: string }>('SELECT id FROM release WHERE title = $1', [stack.releaseTitle]);
  for (let i = 0; i < EXTRA_MAPPINGS; i++) await seedMapping(pool, SHOP, polarNight.rows[0]!.id, 90_000 + i);
  browser = await launchChromium();
  page = await (await browser.newContext({ locale: 'en-US' })).newPage();
  await page.goto(stack.url);
  await page.getByLabel('API key').fill(stack.secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('units-sold').waitFor();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const count = async (sql: string, params: unknown[]) =>
  (await stack.artist.pool.query<{ n: number }>(sql, params)).rows[0]!.n;

describe('lists longer than one page of the API', () => {
  it('offers every release on the overview', async () => {
    const releases = await count(
      'SELECT count(*)::int AS n FROM release r JOIN artist a ON a.id = r.artist_id WHERE a.account_id = $1',
      [stack.accountId],
    );
    expect(releases).toBe(EXTRA_RELEASES + 1);
    const options = page.getByLabel('Release').getByRole('option');
    await expect.poll(() => options.count()).toBe(releases + 1); // and "All releases"
    expect(await options.allTextContents()).toContain(stack.releaseTitle);
  });

  it('lists every release and every mapping of the 101st', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Releases', exact: true }).click();
    const oldest = page.getByRole('button', { name: new RegExp(`^${stack.releaseTitle} ·`) });
    await oldest.click();
    const mappings = await count('SELECT count(*)::int AS n FROM product_mapping WHERE shop_domain = $1', [SHOP]);
    expect(mappings).toBe(EXTRA_MAPPINGS + 1);
    const rows = page.getByRole('region', { name: 'Product mappings' }).getByRole('row');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(mappings + 1); // and the header row
    expect(await page.getByText(/more exist/).count()).toBe(0);
  });
});
