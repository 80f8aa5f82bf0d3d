import {
  connectWorkQueue,
  consumeWork,
  publishOrderPaid,
  untilDeadLetters,
  WORK_DLQ,
} from '@single/artist-api/test-support/dead-letters';
import { type Harness, startHarness } from '@single/artist-api/test-support/harness';
import { seedAccount, seedShop } from '@single/artist-api/test-support/seed';
import { silentLogger } from '@single/logger';
import {
  createTestRedisPrefix,
  createTestVhost,
  deleteRedisPrefix,
  type TestVhost,
  testRedisUrl,
} from '@single/testing';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../server/app.ts';
import { redisKeyValue } from '../server/sealed-store.ts';
import { expectAccessible, launchChromium, screenshots } from './browser.ts';
import { WEB_ROOT } from './stack.ts';

// Issue 17 review: the Deliveries page's Redrive, with the dashboard's own key (admin of its account, not ops),
// against the artist API on a real RabbitMQ vhost where a worker's queue dead-letters what it cannot handle.

const SHOP = 'northern-lights.myshopify.com';
const OTHER_SHOP = 'someone-else.myshopify.com';

async function eventually(check: () => boolean, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('dead letters in the browser', () => {
  let vhost: TestVhost;
  let messaging: Awaited<ReturnType<typeof connectWorkQueue>>;
  let artist: Harness;
  let dashboard: FastifyInstance;
  let redis: Redis;
  let prefix: string;
  let url: string;
  let secret: string;
  let browser: Browser;
  let page: Page;
  let failing = true;
  const handled: string[] = [];

  beforeAll(async () => {
    vhost = await createTestVhost();
    messaging = await connectWorkQueue(vhost.url, 'dashboard-dead-letters-test');
    artist = await startHarness({ messaging, deadLetterQueues: [WORK_DLQ] });
    const artistUrl = await artist.api.app.listen({ host: '127.0.0.1', port: 0 });
    // What an artist's dashboard user holds: admin of its own account, never ops.
    const account = await seedAccount(artist.pool, 'Northern Lights Records', ['read', 'write', 'admin']);
    secret = account.secret;
    await seedShop(artist.pool, account.accountId, SHOP);
    const other = await seedAccount(artist.pool, 'Someone Else');
    await seedShop(artist.pool, other.accountId, OTHER_SHOP);

    await consumeWork(messaging, () => failing, handled);
    await publishOrderPaid(messaging, OTHER_SHOP, 'wh-other-1');
    await publishOrderPaid(messaging, SHOP, 'wh-mine-1');
    await untilDeadLetters(messaging, 2);

    redis = new Redis(testRedisUrl());
    prefix = `${createTestRedisPrefix()}session:`;
    dashboard = buildApp({
      logger: silentLogger(),
      store: redisKeyValue(redis),
      artistApiUrl: artistUrl,
      sessionSecret: 'dead-letters-test-session-secret-0123456789',
      sessionTtlSeconds: 900,
      sessionKeyPrefix: prefix,
      secureCookies: false,
      webRoot: WEB_ROOT,
    }).app;
    url = await dashboard.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
    page = await (await browser.newContext({ locale: 'en-US' })).newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    if (prefix) await deleteRedisPrefix(prefix).catch(() => undefined);
    redis?.disconnect();
    await artist?.close();
    await messaging?.close();
    await vhost?.dispose();
  });

  it("redrives the signed-in account's dead letter: gone from the list, handled again", async () => {
    await page.goto(url);
    await page.getByLabel('API key').fill(secret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Northern Lights Records').waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Deliveries', exact: true }).click();

    const rows = page.getByTestId('dead-letter-row');
    const redrive = page.getByRole('button', { name: 'Redrive orders/paid wh-mine-1' });
    await redrive.waitFor();
    // Only the account's own letter is listed; the other account's stays out of sight.
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain(SHOP);
    expect(await page.getByText(OTHER_SHOP).count()).toBe(0);
    await expectAccessible(page, 'deliveries with a dead letter');
    await screenshots(page, 'deliveries-dead-letter');

    failing = false; // the handler's bug is fixed: what is redriven now gets handled
    await redrive.click();
    await page.getByText('No dead letter.').waitFor();
    expect(await page.getByRole('alert').count()).toBe(0);
    await eventually(() => handled.includes('wh-mine-1'), 'the redriven message handled');
    expect(handled).toEqual(['wh-mine-1']);
    // The other account's letter was never touched.
    await untilDeadLetters(messaging, 1);
  });
});
