import { seedRelease } from '@single/artist-api/test-support/seed';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, launchChromium } from './browser.ts';
import { type Stack, startStack } from './stack.ts';

// Details the main browser test does not look at: the Releases page's countdown, the US-states map, and a
// keyboard walk through the skip link and the main navigation.
let stack: Stack;
let browser: Browser;
let page: Page;
const PREORDER = 'Midnight Sun';
const NAV = ['Overview', 'Territories', 'Releases', 'Orders', 'Deliveries', 'Chart files', 'Stores', 'API keys'];

beforeAll(async () => {
  stack = await startStack();
  const { rows } = await stack.artist.pool.query<{ id: string }>('SELECT id FROM artist WHERE account_id = $1', [
    stack.accountId,
  ]);
  // Out in 3 days and a few hours: the countdown's seconds move while the test watches.
  const release = await seedRelease(stack.artist.pool, rows[0]!.id, {
    title: PREORDER,
    releaseInstant: new Date(Date.now() + 3 * 86_400_000 + 5 * 3_600_000),
  });
  await stack.artist.pool.query('UPDATE release SET preorder = true WHERE id = $1', [release.id]);
  browser = await launchChromium();
  page = await (await browser.newContext({ locale: 'en-US' })).newPage();
  await page.goto(`${stack.url}/auth/link/${await stack.signInLinks.issue(stack.secret)}`);
  await page.getByTestId('units-sold').waitFor();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const go = async (name: string) => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
  await expect.poll(() => page.locator('main h1').textContent(), { timeout: 10_000 }).toBe(name);
};

/** The element that has focus: its text and whether a focus indicator is drawn (outline or box-shadow) on screen. */
const focused = () =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) > 0;
    const box = el.getBoundingClientRect();
    return {
      tag: el.tagName.toLowerCase(),
      text: el.textContent?.trim() ?? '',
      inNav: el.closest('nav[aria-label="Main"]') !== null,
      indicator: outline || style.boxShadow !== 'none',
      onScreen: box.right > 0 && box.bottom > 0 && box.left < window.innerWidth && box.width > 0,
    };
  });

describe('dashboard page details in the browser', () => {
  it('counts down to a pre-order on the Releases page, ticking, and shows no countdown for a released one', async () => {
    await go('Releases');
    const preorder = page.getByRole('button', { name: `${PREORDER} · Pre-order` });
    await preorder.click();
    const detail = page.locator(`#${await preorder.getAttribute('aria-controls')}`);
    // The release's instant and its one track's, both in the future: a countdown for each.
    const countdown = detail.locator('dl time');
    await countdown.waitFor();
    const first = (await countdown.textContent()) ?? '';
    expect(first).toMatch(/^3d [45]h \d+m \d+s$/);
    await expect.poll(() => countdown.textContent(), { timeout: 3_000, interval: 200 }).not.toBe(first);
    expect(await detail.locator('table time').count()).toBe(1);
    // Read out in full words, as a timer (not announced at every tick).
    expect(await countdown.getAttribute('role')).toBe('timer');
    expect(await countdown.getAttribute('aria-label')).toMatch(
      /^3 days, [45] hours, \d+ minutes?,( and)? \d+ seconds?$/,
    );
    // The release instant names its chart business day, as the overview does.
    expect(await detail.locator('dl dd').nth(1).textContent()).toMatch(/\(business day [A-Z][a-z]{2} \d{1,2}, \d{4}\)/);

    const released = page.getByRole('button', { name: `${stack.releaseTitle} · Released` });
    await released.click();
    const releasedDetail = page.locator(`#${await released.getAttribute('aria-controls')}`);
    await releasedDetail.getByRole('heading', { name: 'Tracks' }).waitFor();
    expect(await releasedDetail.locator('time').count()).toBe(0);
    expect(await releasedDetail.textContent()).not.toMatch(/\d+d \d+h \d+m \d+s/);
  });

  it("counts down in the viewer's locale: German units shown and read out", async () => {
    const context = await browser.newContext({ locale: 'de-DE' });
    try {
      const german = await context.newPage();
      await german.goto(`${stack.url}/auth/link/${await stack.signInLinks.issue(stack.secret)}`);
      await german.getByTestId('units-sold').waitFor();
      await german
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Releases', exact: true })
        .click();
      const preorder = german.getByRole('button', { name: `${PREORDER} · Pre-order` });
      await preorder.click();
      const countdown = german.locator(`#${await preorder.getAttribute('aria-controls')} dl time`);
      await countdown.waitFor();
      const text = (await countdown.textContent()) ?? '';
      expect(text).toMatch(/^3 T, [45] ?(h|Std\.), \d+ Min\. und \d+ Sek\.$/);
      expect(text).not.toMatch(/\d+d /);
      expect(await countdown.getAttribute('aria-label')).toMatch(
        /^3 Tage, [45] Stunden, \d+ Minuten? und \d+ Sekunden?$/,
      );
      await expectAccessible(german, 'releases, countdown open (de-DE)'); // the timer's label is allowed
    } finally {
      await context.close();
    }
  });

  it("draws the US states, the seeded state's sales coloured and labelled", async () => {
    await go('Territories');
    await page.getByLabel('Map', { exact: true }).selectOption('us');
    const map = page.getByRole('group', { name: 'Units by US state' });
    // seedSales: 3 units located in US-WA.
    const washington = map.locator('path[aria-label="Washington: 3 units"]');
    await washington.waitFor();
    const oregon = map.locator('path[aria-label="Oregon: 0 units"]');
    expect(await map.locator('path').count()).toBeGreaterThanOrEqual(50);
    expect(await washington.locator('title').textContent()).toBe('Washington: 3 units');
    expect((await washington.getAttribute('d'))?.length).toBeGreaterThan(100); // a shape, not an empty path
    const fill = (path: typeof washington) => path.evaluate((el) => getComputedStyle(el).fill);
    expect(await fill(washington)).not.toBe(await fill(oregon));
    // The only state with sales is the darkest; a state with none keeps the empty grey.
    expect(await fill(oregon)).toBe('rgb(241, 241, 241)');
    expect(await washington.getAttribute('tabindex')).toBe('0');
    expect(await oregon.getAttribute('tabindex')).toBe('-1');
  });

  it('walks the skip link and every main navigation link by Tab, each visibly focused, and Enter navigates', async () => {
    await page.goto(stack.url);
    await page.getByTestId('units-sold').waitFor();
    await page.keyboard.press('Tab');
    const skip = await focused();
    expect(skip).toMatchObject({ tag: 'a', text: 'Skip to content', indicator: true, onScreen: true });
    const walked: string[] = [];
    for (const _ of NAV) {
      await page.keyboard.press('Tab');
      const link = await focused();
      expect(link, `after ${walked.join(', ')}`).toMatchObject({ tag: 'a', inNav: true, indicator: true });
      expect(link?.onScreen).toBe(true);
      walked.push(link!.text);
    }
    expect(walked).toEqual(NAV);
    await page.keyboard.press('Enter'); // on the last link, "API keys"
    await expect.poll(() => page.locator('main h1').textContent(), { timeout: 10_000 }).toBe('API keys');
    expect(new URL(page.url()).pathname).toBe('/api-keys');
    // And the skip link moves focus into the page.
    await page.goto(stack.url);
    await page.getByTestId('units-sold').waitFor();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id), { timeout: 5_000 }).toBe('content');
  });
}, 120_000);
