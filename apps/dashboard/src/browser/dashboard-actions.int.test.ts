import { seedDelivery, seedKey, seedPaidOrder } from '@single/artist-api/test-support/seed';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.ts';
import { type Stack, startStack } from './stack.ts';

// What the user does on the releases, API keys, orders and deliveries pages, checked on screen and in the
// artist API's database (not in what the test arranged).
let stack: Stack;
let browser: Browser;
let page: Page;
const SHOP = 'northern-lights.myshopify.com';

beforeAll(async () => {
  stack = await startStack();
  browser = await launchChromium();
  page = await (await browser.newContext({ locale: 'en-US' })).newPage();
  // Within a test's time, so that a failing step fails its own test and not the next one.
  page.setDefaultTimeout(10_000);
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(stack.url);
  await page.getByLabel('API key').fill(stack.secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('units-sold').waitFor();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

const go = async (name: string) => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
  await expect.poll(() => page.locator('main h1').textContent()).toBe(name);
};
const query = async <T>(sql: string, params: unknown[] = []) =>
  (await stack.artist.pool.query(sql, params)).rows as T[];

describe('dashboard actions', () => {
  it('creates a product mapping, then deletes it', async () => {
    await go('Releases');
    await page.getByRole('button', { name: new RegExp(`^${stack.releaseTitle} ·`) }).click();
    const form = page.getByRole('form', { name: `New product mapping for ${stack.releaseTitle}` });
    await form.getByLabel('Product id').fill('777001');
    await form.getByLabel('Variant id').fill('777002');
    await form.getByRole('button', { name: 'Add mapping' }).click();
    const row = page.getByTestId('mapping-row').filter({ hasText: 'product 777001, variant 777002' });
    await row.waitFor();
    expect(await row.textContent()).toContain(SHOP);
    const stored = () =>
      query<{ title: string }>(
        `SELECT r.title FROM product_mapping m JOIN release r ON r.id = m.release_id
         WHERE m.shop_domain = $1 AND m.product_id = 777001 AND m.variant_id = 777002`,
        [SHOP],
      );
    expect(await stored()).toEqual([{ title: stack.releaseTitle }]);
    await page.getByRole('button', { name: 'Delete mapping product 777001, variant 777002' }).click();
    await row.waitFor({ state: 'detached' });
    expect(await stored()).toEqual([]);
    expect(await page.getByTestId('mapping-row').count()).toBe(1); // the seeded mapping stays
  });

  it('revokes an API key, which the artist API then refuses', async () => {
    const key = await seedKey(stack.artist.pool, stack.accountId, ['read']);
    const me = () => stack.artist.api.app.inject({ url: '/v1/me', headers: key.auth });
    expect((await me()).statusCode).toBe(200);
    await go('API keys');
    await page.getByRole('button', { name: 'Revoke extra' }).click();
    await page
      .getByRole('row')
      .filter({ hasText: 'extra' })
      .filter({ hasText: /revoked/ })
      .waitFor();
    expect((await me()).statusCode).toBe(401);
    const [row] = await query<{ revoked: boolean }>(
      'SELECT revoked_at IS NOT NULL AS revoked FROM api_key WHERE id = $1',
      [key.keyId],
    );
    expect(row?.revoked).toBe(true);
    expect(
      (await stack.artist.api.app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${stack.secret}` } }))
        .statusCode,
    ).toBe(200);
  });

  it('shows a refund on the order detail', async () => {
    // An order of two units, one refunded: its grant revoked, as the worker does on refunds/create.
    const order = await seedPaidOrder(stack.artist.pool, {
      shopDomain: SHOP,
      releaseId: (await query<{ id: string }>('SELECT id FROM release WHERE title = $1', [stack.releaseTitle]))[0]!.id,
    });
    await stack.artist.pool.query(`UPDATE orders SET name = '#2002' WHERE id = $1`, [order.orderId]);
    await stack.artist.pool.query('UPDATE order_line SET quantity = 2, refunded_quantity = 1 WHERE id = $1', [
      order.lineId,
    ]);
    await stack.artist.pool.query(`UPDATE download_grant SET status = 'revoked', revoked_at = now() WHERE id = $1`, [
      order.grantId,
    ]);
    await go('Orders');
    await page.getByLabel('Order name or email').fill('#2002');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('button', { name: '#2002' }).click();
    const line = page.getByRole('region', { name: 'Order lines' }).getByRole('row').nth(1);
    await line.waitFor();
    const cells = await line.getByRole('cell').allTextContents();
    const [stored] = await query<{ quantity: number; refunded_quantity: number }>(
      'SELECT quantity, refunded_quantity FROM order_line WHERE id = $1',
      [order.lineId],
    );
    expect(cells.slice(1, 3)).toEqual([String(stored!.quantity), String(stored!.refunded_quantity)]);
    expect(cells[4]).toMatch(/^revoked: 0 of 3 downloads, revoked /);
  });

  it('narrows the webhook log by topic and by status', async () => {
    const refund = await seedDelivery(stack.artist.pool, SHOP);
    await stack.artist.pool.query(`UPDATE webhook_delivery SET topic = 'refunds/create' WHERE id = $1`, [refund]);
    const failed = await seedDelivery(stack.artist.pool, SHOP);
    await stack.artist.pool.query(`UPDATE webhook_delivery SET status = 'failed' WHERE id = $1`, [failed]);
    await go('Deliveries');
    const rows = page.getByTestId('delivery-row');
    const shown = async () =>
      (await rows.evaluateAll((trs) => trs.map((tr) => [tr.children[1]?.textContent, tr.children[3]?.textContent])))
        .map(([topic, status]) => `${topic} ${status}`)
        .sort();
    const inDb = async (where: string) =>
      (await query<{ d: string }>(`SELECT topic || ' ' || status AS d FROM webhook_delivery WHERE ${where}`))
        .map((r) => r.d)
        .sort();
    await expect.poll(shown).toEqual(await inDb('true'));
    expect((await shown()).length).toBe(3);
    await page.getByLabel('Topic').selectOption('refunds/create');
    await expect.poll(shown).toEqual(await inDb(`topic = 'refunds/create'`));
    expect(await shown()).toEqual(['refunds/create published']);
    await page.getByLabel('Topic').selectOption('');
    await page.getByLabel('Status').selectOption('failed');
    await expect.poll(shown).toEqual(await inDb(`status = 'failed'`));
    expect(await shown()).toEqual(['orders/paid failed']);
    await page.getByLabel('Topic').selectOption('refunds/create');
    await expect.poll(shown).toEqual([]);
    await page.getByText('No delivery matches.').waitFor();
  });
});
