import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRedisCache } from '@single/cache';
import { createKafkaEventBus } from '@single/events';
import { type EmbeddedWorker, loadWorkerConfig, startEmbeddedWorker } from '@single/fulfillment-worker/embedded';
import {
  type EmbeddedGeoReporting,
  loadGeoReportingConfig,
  startEmbeddedGeoReporting,
} from '@single/geo-reporting/embedded';
import { silentLogger } from '@single/logger';
import { type AmqpMessagingOptions, createAmqpMessaging } from '@single/messaging';
import {
  createKafkaTestContext,
  createTestDatabase,
  createTestRedisPrefix,
  createTestVhost,
  deleteRedisPrefix,
  eventually as poll,
  type ReceivedMail,
  shopifyWebhookHeaders,
  startTestSmtpServer,
  type TestDatabase,
  type TestSmtpServer,
  testRedisUrl,
} from '@single/testing';
import { compileTrustedProxies } from '@single/trusted-proxy';
import {
  type EmbeddedDispatcher,
  loadDispatcherConfig,
  startEmbeddedDispatcher,
} from '@single/webhook-dispatcher/embedded';
import pg from 'pg';
import { expect } from 'vitest';
import { type ArtistApi, buildApp } from '../app.ts';
import { localAudioStorage } from '../downloads/storage.ts';

// The whole platform on the real servers for end-to-end tests: the dispatcher, the fulfillment worker and
// geo-reporting wired by their own `embedded.ts`, the artist API by buildApp (its embedded cache
// invalidator joins a fixed consumer group on the shared `sales.v1`, which an isolated test must not do),
// each on its own database, vhost, Kafka topic and Redis prefix, and a real SMTP server that records what
// it accepts.

/** Polls until `check` passes: the whole platform is slower to settle than one app (30 s by default). */
export const eventually = <T>(check: () => Promise<T>, timeoutMs = 30_000) => poll(check, timeoutMs, 100);

export const WEBHOOK_SECRET = 'fixture-secret-do-not-use-in-production';

/** The download tokens of the links in an email, in the order they appear (each once). */
export function linkTokens(mail: ReceivedMail): { base: string; token: string }[] {
  const seen = new Set<string>();
  const links: { base: string; token: string }[] = [];
  for (const [, base, token] of mail.source.matchAll(/(https?:\/\/[^\s"'<>]+)\/d\/([A-Za-z0-9_-]{20,128})/g)) {
    if (seen.has(token!)) continue;
    seen.add(token!);
    links.push({ base: base!, token: token! });
  }
  return links;
}

export interface Platform {
  pool: pg.Pool;
  api: ArtistApi;
  apiUrl: string;
  audioDir: string;
  smtp: TestSmtpServer;
  dispatcher: EmbeddedDispatcher;
  worker: EmbeddedWorker;
  geo: EmbeddedGeoReporting;
  /** A webhook as Shopify sends it, signed with the app's secret, through the dispatcher's HTTP route. */
  deliver(topic: string, body: Buffer, shopDomain: string): Promise<{ statusCode: number; body: string }>;
  /** Everything closed in reverse order of opening; every closer is attempted. */
  close(): Promise<void>;
}

export interface PlatformOptions {
  /** geo-reporting's clock for closing business days (its chart-file route); default the real one. */
  geoNow?: () => Date;
}

export async function startPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const logger = silentLogger();
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    const failures: unknown[] = [];
    for (const closer of closers.reverse()) await closer().catch((error: unknown) => failures.push(error));
    expect(failures).toEqual([]);
  };
  try {
    const kafka = createKafkaTestContext();
    const salesTopic = kafka.topic();
    const redisPrefix = createTestRedisPrefix();
    const database: TestDatabase = await createTestDatabase();
    closers.push(() => database.drop());
    const vhost = await createTestVhost();
    closers.push(() => vhost.dispose());
    closers.push(() => kafka.cleanup());
    closers.push(() => deleteRedisPrefix(redisPrefix));
    const pool = new pg.Pool({ connectionString: database.url, max: 3 });
    closers.push(() => pool.end());
    const smtp = await startTestSmtpServer();
    closers.push(() => smtp.close());
    const audioDir = await mkdtemp(path.join(tmpdir(), 'e2e-audio-'));
    closers.push(() => rm(audioDir, { recursive: true, force: true }));
    const events = (clientId: string) => createKafkaEventBus({ brokers: kafka.brokers, clientId, logger });
    const messaging = (o: Omit<AmqpMessagingOptions, 'url'>) => createAmqpMessaging({ url: vhost.url, logger, ...o });

    // The artist API first: its address is the base of the links the worker emails.
    const apiCache = createRedisCache({ url: testRedisUrl(), keyPrefix: `${redisPrefix}artist-api:` });
    closers.push(() => apiCache.close());
    const apiPool = new pg.Pool({ connectionString: database.url, max: 5 });
    closers.push(() => apiPool.end());
    const api = buildApp({
      logger,
      pool: apiPool,
      cache: apiCache,
      storage: localAudioStorage(audioDir),
      // The loopback peer plays our proxies; without X-Forwarded-For the fan is unknown, as the route intends.
      trustedProxies: compileTrustedProxies(['127.0.0.1']),
      limits: { perKeyPerMinute: 10_000, downloadsPerIpPerMinute: 10_000, downloadsPerTokenPerMinute: 10_000 },
    });
    const apiUrl = await api.app.listen({ host: '127.0.0.1', port: 0 });
    closers.push(() => api.app.close());

    const common = {
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      DD_TRACE_ENABLED: 'false',
      DATABASE_URL: database.url,
      RABBITMQ_URL: vhost.url,
      REDIS_URL: testRedisUrl(),
      KAFKA_BROKERS: kafka.brokers.join(','),
      TRUSTED_PROXIES: '127.0.0.1/32',
    };

    // geo-reporting joins its (test-only) consumer group on the test's sales topic.
    const geo = await startEmbeddedGeoReporting(
      loadGeoReportingConfig({
        ...common,
        GEOIP_RELOAD_INTERVAL_MS: '0',
        SALES_TOPIC: salesTopic,
        SALES_CONSUMER_GROUP: kafka.groupId(),
      }),
      { logger, events, ...(options.geoNow ? { now: options.geoNow } : {}) },
    );
    closers.push(() => geo.close());
    closers.push(() => geo.app.app.close());

    const transport = smtp.transport();
    closers.push(async () => transport.close());
    const worker = await startEmbeddedWorker(
      loadWorkerConfig({
        ...common,
        SALES_TOPIC: salesTopic,
        DOWNLOAD_TOKEN_SECRETS: randomBytes(32).toString('hex'),
        FAN_HASH_SECRET: randomBytes(32).toString('hex'),
        DOWNLOAD_BASE_URL: apiUrl,
        RETRY_DELAYS_MS: '100,300,1000',
        POLL_INTERVAL_MS: '100',
      }),
      { logger, messaging, events, mail: transport },
    );
    closers.push(() => worker.close());
    closers.push(() => worker.worker.http.app.close());
    // Its queues must be bound before the relay publishes, or the delivery would be unroutable.
    await worker.messaging.waitUntilConnected(10_000);

    const dispatcher = await startEmbeddedDispatcher(
      loadDispatcherConfig({ ...common, SHOPIFY_WEBHOOK_SECRETS: WEBHOOK_SECRET }),
      {
        logger,
        messaging,
        cache: (keyPrefix) => createRedisCache({ url: testRedisUrl(), keyPrefix: `${redisPrefix}${keyPrefix}` }),
      },
    );
    closers.push(() => dispatcher.close());
    closers.push(() => dispatcher.dispatcher.app.close());

    return {
      pool,
      api,
      apiUrl,
      audioDir,
      smtp,
      dispatcher,
      worker,
      geo,
      deliver: (topic, body, shopDomain) =>
        dispatcher.dispatcher.app.inject({
          method: 'POST',
          url: '/webhooks/shopify',
          payload: body,
          headers: shopifyWebhookHeaders(topic, body, { shopDomain, secret: WEBHOOK_SECRET }),
        }),
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}
