import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Cache, createRedisCache } from '@single/cache';
import { EVENTS_EXCHANGE } from '@single/contracts';
import { silentLogger } from '@single/logger';
import { createMemoryMessaging, type Messaging } from '@single/messaging';
import {
  createTestDatabase,
  createTestRedisPrefix,
  deleteRedisPrefix,
  type TestDatabase,
  testRedisUrl,
} from '@single/testing';
import { compileTrustedProxies } from '@single/trusted-proxy';
import pg from 'pg';
import { type ArtistApi, type ArtistApiDeps, buildApp } from '../app.ts';
import { type AudioStorage, localAudioStorage } from '../downloads/storage.ts';
import type { ShopifyAppSettings } from '../shopify/shopify-app.ts';

/**
 * The Shopify app every harness has unless a test gives its own (or `shopify: undefined`): install links work,
 * and nothing is listening at the shop origin (port 9, discard), so no test reaches a real Shopify.
 */
export const TEST_SHOPIFY: ShopifyAppSettings = {
  clientId: 'test-client-id',
  clientSecret: 'shpss_test_client_secret',
  scopes: 'read_orders,write_merchant_managed_fulfillment_orders',
  redirectUri: 'http://127.0.0.1:3003/v1/shopify/callback',
  webhookUrl: 'http://127.0.0.1:3001/webhooks/shopify',
  apiVersion: '2026-10',
  shopOriginTemplate: 'http://127.0.0.1:9/{shop}',
  tokenKeys: [{ id: 'test', key: Buffer.alloc(32, 7) }],
  stateTtlMs: 600_000,
  timeoutMs: 1_000,
};

export interface Harness {
  database: TestDatabase;
  pool: pg.Pool;
  cache: Cache;
  prefix: string;
  storageDir: string;
  api: ArtistApi;
  /** Every route the app registered (method + url), for coverage checks. */
  routes: { method: string; url: string }[];
  close(): Promise<void>;
}

/**
 * An in-memory broker with one consumer queue, `work`, bound to every Shopify routing key and
 * dead-lettering to `work.dlq`: pass it and `deadLetterQueues: ['work.dlq']` to startHarness.
 */
export function createWorkQueueMessaging(): Messaging {
  return createMemoryMessaging({
    topology: {
      exchanges: [{ name: EVENTS_EXCHANGE, type: 'topic' }],
      queues: [
        {
          name: 'work',
          bindings: [{ exchange: EVENTS_EXCHANGE, routingKey: 'shopify.#' }],
          deadLetterQueue: 'work.dlq',
        },
        { name: 'work.dlq' },
      ],
    },
  });
}

/** A test database, a Redis key prefix, a temporary audio folder and the app on them (not listening). */
export async function startHarness(
  overrides: Partial<ArtistApiDeps> & { storage?: AudioStorage } = {},
): Promise<Harness> {
  const database = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: database.url, max: 5 });
  const prefix = createTestRedisPrefix();
  const cache = createRedisCache({
    url: testRedisUrl(),
    keyPrefix: prefix,
    connectTimeoutMs: 500,
    commandTimeoutMs: 500,
  });
  const storageDir = await mkdtemp(path.join(tmpdir(), 'artist-api-audio-'));
  const api = buildApp({
    logger: silentLogger(),
    pool,
    cache,
    storage: localAudioStorage(storageDir),
    trustedProxies: compileTrustedProxies(['127.0.0.1', '10.0.0.0/8']),
    rateLimitNamespace: `${prefix}rl:`,
    limits: { perKeyPerMinute: 100_000, downloadsPerIpPerMinute: 100_000, downloadsPerTokenPerMinute: 100_000 },
    shopify: TEST_SHOPIFY,
    ...overrides,
  });
  const routes: { method: string; url: string }[] = [];
  api.app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url });
  });
  await api.app.ready();
  return {
    database,
    pool,
    cache,
    prefix,
    storageDir,
    api,
    routes,
    async close() {
      await api.app.close();
      await cache.close();
      await pool.end();
      await deleteRedisPrefix(prefix).catch(() => undefined);
      await rm(storageDir, { recursive: true, force: true });
      await database.drop();
    },
  };
}
