import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { openShopToken, WEBHOOK_TOPICS } from '@single/artist-api/test-support/shopify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible, launchChromium, RESULTS, screenshots } from './browser.ts';
import { type Stack, startStack } from './stack.ts';
import { expectLoadingThenError, type View } from './states.ts';

// The dashboard in Debian's headless Chromium against the real stack: the BFF on the built web app, the
// artist API on the real servers with seeded orders, sales and deliveries.
let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
  context = await browser.newContext({ acceptDownloads: true, locale: 'en-US' });
  page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('response', (response) => {
    if (response.status() >= 400) pageErrors.push(`${response.status()} ${response.url()}`);
  });
  page.on('requestfailed', (request) => pageErrors.push(`failed ${request.url()}: ${request.failure()?.errorText}`));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
}, 120_000);

// What the page showed when a step failed, beside the screenshots.
afterEach(async (context) => {
  if (context.task.result?.state !== 'fail' || !page) return;
  const name = context.task.name.replaceAll(/[^a-z0-9]+/gi, '-');
  await page.screenshot({ path: path.join(RESULTS, `failed-${name}.png`), fullPage: true }).catch(() => undefined);
  console.error(
    `page text when "${context.task.name}" failed:`,
    ((await page.locator('body').textContent()) ?? '').slice(0, 2000),
    pageErrors,
  );
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const go = async (name: string) => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
  await expect.poll(() => page.locator('main h1').textContent()).toBe(name);
};

const dayBefore = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
/** A date as the page writes it in a locale and zone: an instant's day ("Dec 4, 2026"), a business day (medium). */
const instantDay = (locale: string, timeZone: string, instant: string) =>
  new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: 'numeric', timeZone }).format(
    new Date(instant),
  );
const businessDay = (locale: string, day: string) =>
  new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${day}T00:00:00Z`));
/** Every day of the last year as an axis tick in a locale ("Dec 4", "4. Dez."). */
const dayTicks = (locale: string) => {
  const format = new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', timeZone: 'UTC' });
  return new Set(Array.from({ length: 366 }, (_, i) => format.format(new Date(Date.now() - i * 86_400_000))));
};

/** The overview as a viewer in a locale and zone sees it, signed in as the suite, the release at an instant. */
async function overviewAs(viewer: { locale: string; timezoneId: string }, releaseInstant: string) {
  const viewerContext = await browser.newContext(viewer);
  try {
    await viewerContext.addCookies(await context.cookies(stack.url));
    const tab = await viewerContext.newPage();
    await tab.route(
      (url) => url.pathname === '/api/releases',
      async (route) => {
        const response = await route.fetch();
        const body = (await response.json()) as { items: { releaseInstant: string }[] };
        for (const item of body.items) item.releaseInstant = releaseInstant;
        await route.fulfill({ response, json: body });
      },
    );
    await tab.goto(stack.url);
    await tab.getByTestId('units-sold').waitFor();
    const figure = tab.getByRole('img', { name: /Units per business day/ });
    await figure.waitFor();
    return {
      revenue: ((await tab.getByTestId('revenue-USD').textContent()) ?? '').replaceAll('\u00a0', ' '),
      ticks: await figure.locator('text').allTextContents(),
      marker: ((await tab.getByTestId('release-markers').textContent()) ?? '').replaceAll(/[\u00a0\u202f]/g, ' '),
    };
  } finally {
    await viewerContext.close();
  }
}

describe('dashboard in the browser', () => {
  it('signs in with an API key kept server-side', async () => {
    await page.goto(stack.url);
    await expectAccessible(page, 'sign-in');
    await screenshots(page, 'sign-in');
    await page.getByLabel('API key').fill(stack.secret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(stack.accountName).waitFor();
    const stored = await page.evaluate(
      () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
    );
    expect(stored).not.toContain(stack.secret);
    expect(await page.evaluate(() => document.cookie)).toBe(''); // http-only: invisible to scripts
  });

  it('shows the sales of the seeded orders on the overview', async () => {
    await page.getByTestId('units-sold').waitFor();
    // A cold load of the overview, signed in: from navigation to the first figure on screen.
    await page.goto(stack.url);
    await page.getByTestId('units-sold').waitFor();
    const usableMs = await page.evaluate(() => Math.round(performance.now()));
    console.info(`overview usable ${usableMs} ms after navigation`);
    // seedSales puts 3 located units and 1 unlocated unit on one business day.
    expect(await page.getByTestId('units-sold').textContent()).toBe('4');
    await page.getByRole('cell', { name: /Below the price floor/ }).waitFor();
    await page.getByRole('img', { name: /Units per business day/ }).waitFor();
    await expectAccessible(page, 'overview');
    await screenshots(page, 'overview');
  });

  it('opens a territory on the map, by keyboard', async () => {
    await go('Territories');
    const us = page.locator('path[aria-label^="United States of America"]');
    await us.waitFor();
    await us.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('territory-detail').textContent()).toContain('3 units');
    await page.getByRole('cell', { name: '98354' }).waitFor();
    await page.getByRole('row', { name: /Billing address postal 3 75%/ }).waitFor();
    await expectAccessible(page, 'territories');
    await screenshots(page, 'territories');
  });

  it('edits a product mapping', async () => {
    await go('Releases');
    await page.getByRole('button', { name: new RegExp(stack.releaseTitle) }).click();
    const row = page.getByTestId('mapping-row').first();
    await row.getByRole('button', { name: /Edit mapping/ }).click();
    await row.getByLabel('Approved fan pack').check();
    await row.getByRole('button', { name: 'Save' }).click();
    await row.getByRole('button', { name: /Edit mapping/ }).waitFor(); // saved: the row left edit mode
    await expect.poll(() => row.textContent()).toContain('fan pack');
    const { rows } = await stack.artist.pool.query<{ fan_pack: boolean }>('SELECT fan_pack FROM product_mapping');
    expect(rows.map((r) => r.fan_pack)).toEqual([true]);
    await expectAccessible(page, 'releases');
    await screenshots(page, 'releases');
  });

  it('shows an order with its grants, email and fulfilment', async () => {
    await go('Orders');
    await page.getByLabel('Order name or email').fill('nobody@example.com');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No order found.').waitFor();
    await page.getByLabel('Order name or email').fill('FAN@example.com');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('button', { name: '#1001' }).first().click();
    await page.getByRole('region', { name: 'Order #1001' }).getByText('0 of 3 downloads').first().waitFor();
    await expectAccessible(page, 'orders');
    await screenshots(page, 'orders');
  });

  it('replays a delivery', async () => {
    await go('Deliveries');
    const before = await stack.artist.pool.query('SELECT 1 FROM dispatch_outbox');
    await page.getByRole('button', { name: /^Replay orders\/paid/ }).click();
    await page.getByText('Replay queued').waitFor();
    const after = await stack.artist.pool.query('SELECT 1 FROM dispatch_outbox');
    expect(after.rowCount).toBe((before.rowCount ?? 0) + 1);
    await expectAccessible(page, 'deliveries');
    await screenshots(page, 'deliveries');
  });

  it('downloads a chart file and shows what it counted', async () => {
    await go('Chart files');
    const link = page.getByRole('link', { name: `Download luminate-${stack.salesDay}.csv` });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const csv = await readFile((await download.path())!, 'utf8');
    // The stored file's lines (chart-files.int.test.ts holds them byte for byte).
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toMatch(/^retailer_account,business_date,record_type,/);
    expect(lines.slice(1).every((line) => line.includes(`,${stack.salesDay},S,0036000291452,`))).toBe(true);
    expect(lines.length).toBeGreaterThan(1);
    await page
      .getByRole('row', { name: new RegExp(`luminate-${stack.salesDay}`) })
      .getByRole('button')
      .click();
    await page
      .getByText(/below_floor/)
      .first()
      .waitFor();
    await page.getByRole('cell', { name: 'Left out: Below the price floor' }).waitFor();
    expect(await page.getByRole('cell', { name: 'Counted (sale)' }).count()).toBe(2);
    await expectAccessible(page, 'chart-files');
    await screenshots(page, 'chart-files');
  });

  it('creates an API key shown once', async () => {
    await go('API keys');
    await page.getByLabel('Name').fill('CI export');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = await page.getByTestId('new-secret').textContent();
    expect(secret?.length).toBeGreaterThan(20);
    await expectAccessible(page, 'api-keys');
    await screenshots(page, 'api-keys');
  });

  it('connects a store through Shopify, its token sealed and its webhooks registered', async () => {
    await go('Stores');
    const domain = page.getByLabel('Shop domain');
    await domain.fill('Aurora Vale Store');
    await page.getByRole('button', { name: 'Connect' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('myshopify.com domain');

    const shop = 'aurora-vale.myshopify.com';
    await domain.fill(shop);
    await page.getByRole('button', { name: 'Connect' }).click();
    // Shopify's authorization page (the fake's), where the merchant approves the app.
    await page.getByRole('heading', { name: `Install the app on ${shop}?` }).waitFor();
    expect(page.url().startsWith(stack.shopify.originTemplate.replace('{shop}', shop))).toBe(true);
    await page.getByRole('button', { name: 'Install app' }).click();
    // Back on the dashboard's shops page through the artist API's callback.
    await page.getByText(`${shop} is connected`).waitFor();
    expect(new URL(page.url()).pathname).toBe('/shops');
    await page.getByRole('row', { name: new RegExp(`${shop} Connected`) }).waitFor();

    const issued = stack.shopify.tokens.get(shop)!;
    expect(issued).toMatch(/^shpat_/);
    const { rows } = await stack.artist.pool.query<{ account_id: string; access_token: string }>(
      'SELECT account_id::text, access_token FROM shop WHERE domain = $1',
      [shop],
    );
    expect(rows[0]!.account_id).toBe(stack.accountId);
    expect(rows[0]!.access_token).not.toContain(issued); // sealed at rest, never in clear
    expect(openShopToken(rows[0]!.access_token, shop, stack.shopTokenKeys)).toBe(issued);
    expect(stack.shopify.subscriptions.get(shop)?.map((s) => [s.topic, s.uri])).toEqual(
      WEBHOOK_TOPICS.map((topic) => [topic, stack.webhookUrl]),
    );
    await expectAccessible(page, 'shops');
    await screenshots(page, 'shops');
  });

  it('shows a loading state, then an error with a working retry, on every page', async () => {
    const views: View[] = [
      {
        name: 'overview',
        path: '/',
        loads: ['sales', 'the chart reconciliation', 'pre-orders waiting'],
        ready: (p) => p.getByTestId('units-sold').waitFor(),
      },
      {
        name: 'territories',
        path: '/territories',
        loads: ['sales by place', 'location sources', 'ZIP codes'],
        ready: (p) => p.getByRole('cell', { name: '98354' }).waitFor(),
      },
      {
        name: 'releases',
        path: '/releases',
        loads: ['releases'],
        ready: (p) => p.getByRole('button', { name: new RegExp(stack.releaseTitle) }).waitFor(),
      },
      {
        name: 'orders',
        path: '/orders',
        loads: ['orders'],
        ready: (p) => p.getByRole('button', { name: '#1001' }).first().waitFor(),
      },
      {
        name: 'deliveries',
        path: '/deliveries',
        loads: ['webhook deliveries', 'dead letters'],
        ready: (p) => p.getByRole('button', { name: /^Replay orders\/paid/ }).waitFor(),
      },
      {
        name: 'chart-files',
        path: '/chart-files',
        loads: ['chart files'],
        ready: (p) => p.getByRole('link', { name: `Download luminate-${stack.salesDay}.csv` }).waitFor(),
      },
      {
        name: 'shops',
        path: '/shops',
        loads: ['stores'],
        ready: (p) => p.getByRole('row', { name: /northern-lights\.myshopify\.com/ }).waitFor(),
      },
      {
        name: 'api-keys',
        path: '/api-keys',
        loads: ['API keys'],
        ready: (p) => p.getByRole('cell', { name: 'CI export', exact: true }).waitFor(),
      },
    ];
    for (const [attempt, view] of views.entries()) await expectLoadingThenError(page, stack.url, view, attempt);
  }, 300_000);

  it("shows numbers, dates and release days in the viewer's locale and time zone", async () => {
    // A release at 02:30 UTC on the sales day: in New York still the evening before, which is the business day
    // its sales are charted on, whoever looks.
    const instant = `${stack.salesDay}T02:30:00Z`;
    const chartDay = dayBefore(stack.salesDay);
    const newYork = await overviewAs({ locale: 'de-DE', timezoneId: 'America/New_York' }, instant);
    const utc = await overviewAs({ locale: 'en-US', timezoneId: 'UTC' }, instant);

    expect(newYork.revenue).toMatch(/^\d+,\d\d\s\$$/); // 39,96 $
    expect(utc.revenue).toMatch(/^\$\d+\.\d\d$/); // $39.96
    // Axis ticks: business days in each locale's words, never the other's.
    expect(newYork.ticks.some((t) => dayTicks('de-DE').has(t))).toBe(true);
    expect(newYork.ticks.some((t) => dayTicks('en-US').has(t))).toBe(false);
    expect(utc.ticks.some((t) => dayTicks('en-US').has(t))).toBe(true);
    expect(utc.ticks.some((t) => dayTicks('de-DE').has(t))).toBe(false);
    // The release's instant in the viewer's zone; its marker on the chart's business day for both.
    expect(newYork.marker).toContain(`released ${instantDay('de-DE', 'America/New_York', instant)}, `);
    expect(newYork.marker).toMatch(/2[12]:30 (GMT-[45]|E[SD]T)/);
    expect(utc.marker).toContain(`released ${instantDay('en-US', 'UTC', instant)}, `);
    expect(utc.marker).toMatch(/2:30 AM UTC/);
    expect(newYork.marker).toContain(`business day ${businessDay('de-DE', chartDay)}`);
    expect(utc.marker).toContain(`business day ${businessDay('en-US', chartDay)}`);
  });

  it('signs in by a one-time link (as the demo prints), and refuses its second use', async () => {
    const link = `${stack.url}/auth/link/${await stack.signInLinks.issue(stack.secret)}`;
    const first = await browser.newContext({ locale: 'en-US' });
    const tab = await first.newPage();
    await tab.goto(link);
    await tab.getByRole('button', { name: 'Sign out' }).waitFor();
    await tab.getByText(stack.accountName).waitFor();
    expect(new URL(tab.url()).pathname).toBe('/');
    await first.close();
    const second = await browser.newContext({ locale: 'en-US' });
    const again = await second.newPage();
    await again.goto(link);
    await again
      .getByRole('alert')
      .getByText(/used already or has expired/)
      .waitFor();
    await again.getByLabel('API key').waitFor();
    // Whatever cookie the sign-in form's own session gave it, it is not signed in.
    const cookie = (await second.cookies(stack.url)).map((c) => `${c.name}=${c.value}`).join('; ');
    expect((await fetch(`${stack.url}/api/me`, { headers: { cookie } })).status).toBe(401);
    await expectAccessible(again, 'sign-in-link-refused');
    await second.close();
  });

  it('signs out, and the old cookie no longer works', async () => {
    const cookies = await context.cookies(stack.url);
    const cookie = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const before = await fetch(`${stack.url}/api/me`, { headers: { cookie } });
    expect(before.status).toBe(200);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    const after = await fetch(`${stack.url}/api/me`, { headers: { cookie } });
    expect(after.status).toBe(401);
  });
}, 120_000);
