import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seedChartFile } from '@single/artist-api/test-support/chart-file';
import {
  createWorkQueueMessaging,
  type Harness,
  startHarness,
  TEST_SHOPIFY,
} from '@single/artist-api/test-support/harness';
import {
  seedAccount,
  seedArtist,
  seedDelivery,
  seedMapping,
  seedPaidOrder,
  seedRelease,
  seedSales,
  seedShop,
} from '@single/artist-api/test-support/seed';
import { parseShopTokenKeys } from '@single/artist-api/test-support/shopify';
import { silentLogger } from '@single/logger';
import {
  createTestRedisPrefix,
  deleteRedisPrefix,
  type FakeShopify,
  startFakeShopify,
  testRedisUrl,
} from '@single/testing';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { buildApp, type Dashboard } from '../server/app.ts';
import { redisKeyValue } from '../server/sealed-store.ts';

export const WEB_ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'web');

export interface Stack {
  artist: Harness;
  dashboard: FastifyInstance;
  signInLinks: Dashboard['signInLinks'];
  /** Shopify's side of a store install (authorization page, code exchange, webhook subscriptions). */
  shopify: FakeShopify;
  /** The artist API's shop token keys (to open what it stored). */
  shopTokenKeys: ReturnType<typeof parseShopTokenKeys>;
  webhookUrl: string;
  url: string;
  secret: string;
  accountId: string;
  accountName: string;
  releaseTitle: string;
  /** The business day (America/New_York) the seeded sales fall on: yesterday's, the latest chart file. */
  salesDay: string;
  /** The stored luminate file of salesDay: its id and bytes (every account's lines of the day). */
  chartFile: { id: string; content: Buffer; sha256: string };
  close(): Promise<void>;
}

const chartToday = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' }).format(new Date());
const dayBefore = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

/**
 * The artist API on the real servers (its own database and Redis prefix) with a label's seeded catalogue,
 * orders, sales, deliveries and keys, and the dashboard's BFF on the built web app in front of it.
 */
export async function startStack(): Promise<Stack> {
  if (!existsSync(path.join(WEB_ROOT, 'index.html'))) {
    throw new Error(`no built web app in ${WEB_ROOT}: run pnpm --filter @single/dashboard build first`);
  }
  const shopify = await startFakeShopify({ clientId: 'dashboard-test-app', clientSecret: 'shpss_dashboard_test' });
  const shopTokenKeys = parseShopTokenKeys(`b1:${randomBytes(32).toString('base64')}`);
  const webhookUrl = 'https://hooks.single.example/webhooks/shopify';
  const shopifySettings = {
    ...TEST_SHOPIFY,
    clientId: 'dashboard-test-app',
    clientSecret: 'shpss_dashboard_test',
    shopOriginTemplate: shopify.originTemplate,
    webhookUrl,
    tokenKeys: shopTokenKeys,
  };
  const artist = await startHarness({
    messaging: createWorkQueueMessaging(),
    deadLetterQueues: ['work.dlq'],
    shopify: shopifySettings,
  });
  const artistUrl = await artist.api.app.listen({ host: '127.0.0.1', port: 0 });
  const accountName = 'Northern Lights Records';
  const { accountId, secret } = await seedAccount(artist.pool, accountName, ['read', 'write', 'admin']);
  const shop = 'northern-lights.myshopify.com';
  await seedShop(artist.pool, accountId, shop);
  const artistId = await seedArtist(artist.pool, accountId, 'Aurora Vale');
  const releaseTitle = 'Polar Night';
  const { id: releaseId } = await seedRelease(artist.pool, artistId, { title: releaseTitle });
  await seedMapping(artist.pool, shop, releaseId, 4242);
  for (let i = 0; i < 3; i++) await seedPaidOrder(artist.pool, { shopDomain: shop, releaseId });
  const salesDay = dayBefore(chartToday());
  await seedSales(artist.pool, releaseId, salesDay);
  // The day's file as the chart job stores it (the Chart files page lists stored files only).
  const chartFile = await seedChartFile(artist.pool, 'luminate', salesDay);
  // How geo-reporting located those sales: 3 by billing ZIP, 1 with no location.
  for (const [source, precision, quantity] of [
    ['billing_address', 'postal', 3],
    ['none', 'none', 1],
  ] as const) {
    await artist.pool.query(
      `INSERT INTO located_sale (event_id, type, shop_domain, order_id, order_line_id, release_id, quantity, net_price,
                                 currency, source, precision, occurred_at)
       VALUES (gen_random_uuid(), 'sale.recorded', $1, gen_random_uuid()::text, gen_random_uuid()::text, $2, $3, 9.99,
               'USD', $4::location_source, $5::geo_precision, ($6::date + time '15:00') AT TIME ZONE 'America/New_York')`,
      [shop, releaseId, quantity, source, precision, salesDay],
    );
  }
  await seedDelivery(artist.pool, shop);

  const redis = new Redis(testRedisUrl());
  const prefix = `${createTestRedisPrefix()}session:`;
  const { app: dashboard, signInLinks } = buildApp({
    logger: silentLogger(),
    store: redisKeyValue(redis),
    artistApiUrl: artistUrl,
    sessionSecret: 'browser-test-session-secret-0123456789',
    sessionTtlSeconds: 900,
    sessionKeyPrefix: prefix,
    secureCookies: false,
    shopifyShopOriginTemplate: shopify.originTemplate,
    webRoot: WEB_ROOT,
  });
  const url = await dashboard.listen({ host: '127.0.0.1', port: 0 });
  // Shopify sends the merchant back to the dashboard's callback (its port is known only now; the API's routes read
  // the settings per request), which checks the browser and forwards to the API, then shows the shops page.
  shopifySettings.redirectUri = `${url}/shopify/callback`;
  return {
    artist,
    dashboard,
    signInLinks,
    shopify,
    shopTokenKeys,
    webhookUrl,
    url,
    secret,
    accountId,
    accountName,
    releaseTitle,
    salesDay,
    chartFile,
    async close() {
      await dashboard.close();
      await deleteRedisPrefix(prefix).catch(() => undefined);
      redis.disconnect();
      await artist.close();
      await shopify.close();
    },
  };
}
