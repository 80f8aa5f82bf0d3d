import { readFileSync } from 'node:fs';
import { type Cache, createRedisCache } from '@single/cache';
import { EVENTS_EXCHANGE } from '@single/contracts';
import { silentLogger } from '@single/logger';
import { createAmqpMessaging, type MessageContext, type Messaging } from '@single/messaging';
import {
  createTestDatabase,
  createTestRedisPrefix,
  createTestVhost,
  deleteRedisPrefix,
  sharedFixture,
  shopifyWebhookHeaders,
  type TestDatabase,
  type TestVhost,
  testRedisUrl,
} from '@single/testing';
import { messagingTraceHooks, tracer } from '@single/tracing';
import pg from 'pg';
import { buildApp, type Dispatcher } from '../app.ts';
import { dedupeCache } from '../deliveries/dedupe-cache.ts';
import { MAINTENANCE_FLAG_KEY, maintenanceSwitch } from '../maintenance.ts';
import { OutboxRelay } from '../relay/outbox-relay.ts';

export const SECRET = 'fixture-secret-do-not-use-in-production';
export const SHOP = 'single-demo.myshopify.com';

export function fixture(name: string): Buffer {
  return readFileSync(sharedFixture(`shopify/${name}.json`));
}

/** A test queue bound to every Shopify routing key, standing in for the fulfillment workers. */
export const testTopology = {
  exchanges: [{ name: EVENTS_EXCHANGE, type: 'topic' as const }],
  queues: [
    { name: 'test.dlq' },
    {
      name: 'test.all',
      bindings: [{ exchange: EVENTS_EXCHANGE, routingKey: 'shopify.#' }],
      deadLetterQueue: 'test.dlq',
    },
  ],
};

export function signedRequest(
  topic: string,
  body: Buffer,
  overrides: Record<string, string | undefined> = {},
  secret = SECRET,
) {
  const headers: Record<string, string> = shopifyWebhookHeaders(topic, body, { shopDomain: SHOP, secret });
  // An override of `undefined` removes the header.
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete headers[name];
    else headers[name] = value;
  }
  return {
    method: 'POST' as const,
    url: '/webhooks/shopify',
    payload: body,
    headers: headers as Record<string, string> & {
      'x-shopify-webhook-id': string;
      'x-shopify-event-id': string;
      'x-shopify-hmac-sha256': string;
    },
  };
}

/** A unique orders/paid body (distinct id and updated_at) of realistic size. */
export function uniqueOrderBody(n: number): Buffer {
  const order = JSON.parse(fixture('orders-paid').toString());
  order.id = 9_000_000_000 + n;
  order.admin_graphql_api_id = `gid://shopify/Order/${order.id}`;
  order.updated_at = new Date(Date.UTC(2026, 10, 20, 0, 0, n)).toISOString();
  return Buffer.from(JSON.stringify(order));
}

/** Connects a shop as the install would (the fulfillment worker owns `shop`; tests write it directly). */
export async function connectShop(
  pool: pg.Pool,
  domain: string,
  state: 'installed' | 'uninstalled' | 'redacted' = 'installed',
): Promise<void> {
  await pool.query(
    `INSERT INTO shop (domain, install_state, uninstalled_at, updated_at)
     VALUES ($1, $2::shop_install_state, CASE WHEN $2 = 'installed' THEN NULL ELSE now() END, now())`,
    [domain, state],
  );
}

export interface Harness {
  database: TestDatabase;
  pool: pg.Pool;
  vhost: TestVhost;
  cache: Cache;
  prefix: string;
  messaging: Messaging;
  dispatcher: Dispatcher;
  relay: OutboxRelay;
  received: MessageContext[];
  /** Trace ids active while the test consumer ran (with `traced`). */
  consumerTraceIds: string[];
  count(sql: string): Promise<number>;
  close(): Promise<void>;
}

export async function startHarness(
  options: {
    redisUrl?: string;
    secrets?: string[];
    bodyLimit?: number;
    traced?: boolean;
    publishTimeoutMs?: number;
  } = {},
): Promise<Harness> {
  const logger = silentLogger();
  const database = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: database.url, max: 6 });
  // The dispatcher takes deliveries only for shops the platform connected (a row in `shop`).
  await connectShop(pool, SHOP);
  const vhost = await createTestVhost();
  const prefix = createTestRedisPrefix();
  const cache = createRedisCache({
    url: options.redisUrl ?? testRedisUrl(),
    keyPrefix: prefix,
    connectTimeoutMs: 300,
    commandTimeoutMs: 300,
  });
  const messaging = createAmqpMessaging({
    url: vhost.url,
    connectionName: 'dispatcher-test',
    topology: testTopology,
    publishTimeoutMs: options.publishTimeoutMs ?? 1_500,
    ...(options.traced ? { hooks: messagingTraceHooks() } : {}),
  });
  await messaging.waitUntilConnected(10_000);
  const received: MessageContext[] = [];
  const consumerTraceIds: string[] = [];
  await messaging.consume(
    'test.all',
    async (m) => {
      received.push(m);
      const active = tracer.scope().active();
      if (active) consumerTraceIds.push(active.context().toTraceId());
    },
    { prefetch: 50 },
  );
  const dispatcher = buildApp({
    logger,
    pool,
    dedupe: dedupeCache(cache, logger),
    maintenance: maintenanceSwitch({ envFlag: false, readFlag: () => cache.get(MAINTENANCE_FLAG_KEY), refreshMs: 0 }),
    secrets: options.secrets ?? [SECRET],
    ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}),
  });
  const relay = new OutboxRelay({
    pool,
    messaging,
    logger,
    lanes: ['privacy', 'orders'],
    idlePollMs: 100,
    publishTimeoutMs: options.publishTimeoutMs ?? 1_500,
  });
  return {
    database,
    pool,
    vhost,
    cache,
    prefix,
    messaging,
    dispatcher,
    relay,
    received,
    consumerTraceIds,
    async count(sql) {
      const { rows } = await pool.query<{ n: string }>(sql);
      return Number(rows[0]?.n);
    },
    async close() {
      await dispatcher.app.close();
      await relay.stop();
      await messaging.close();
      await cache.close();
      await pool.end();
      await vhost.dispose();
      await deleteRedisPrefix(prefix).catch(() => undefined);
      await database.drop();
    },
  };
}
