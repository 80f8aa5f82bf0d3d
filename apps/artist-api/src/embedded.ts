import type { Cache } from '@single/cache';
import { createServicePool } from '@single/db/pool';
import type { EventBus } from '@single/events';
import type { Logger } from '@single/logger';
import type { Messaging, Topology } from '@single/messaging';
import { compileTrustedProxies } from '@single/trusted-proxy';
import type { Redis } from 'ioredis';
import { type ArtistApi, buildApp } from './app.ts';
import type { ArtistApiConfig } from './config.ts';
import { createS3Client, localAudioStorage, s3AudioStorage } from './downloads/storage.ts';
import { SalesCacheInvalidator } from './sales/cache-invalidator.ts';
import { shopifySettingsFrom } from './shopify/settings.ts';

export { type ArtistApiConfig, loadArtistApiConfig } from './config.ts';

/** The adapters a host hands in: main.ts passes the real ones, the zero-setup demo in-memory ones. */
export interface EmbeddedArtistApiPorts {
  logger: Logger;
  messaging(options: { connectionName: string; topology: Topology }): Messaging;
  cache(keyPrefix: string): Cache;
  events(clientId: string): EventBus;
}

export interface EmbeddedArtistApi {
  api: ArtistApi;
  /** After the HTTP server closed: the invalidator, then the connections. */
  close(): Promise<void>;
}

/**
 * The artist API wired from its configuration, not listening. The rate-limit store is the given Redis
 * client (production); without one, limits are counted in process (the demo's single instance).
 */
export async function startEmbeddedArtistApi(
  config: ArtistApiConfig,
  ports: EmbeddedArtistApiPorts,
  options: { rateLimitRedis?: Redis } = {},
): Promise<EmbeddedArtistApi> {
  const { logger } = ports;
  const trustedProxies = compileTrustedProxies(config.TRUSTED_PROXIES);
  for (const warning of trustedProxies.warnings) logger.warn(warning);
  const pool = createServicePool(
    { connectionString: config.DATABASE_URL, max: 10, connectionTimeoutMillis: 2_000 },
    (obj, msg) => logger.warn(obj, msg),
  );
  const cache = ports.cache('artist-api:');
  // The API only reads dead-letter queues (and redrives them); their owners declare them.
  const messaging = ports.messaging({ connectionName: 'artist-api', topology: { exchanges: [], queues: [] } });
  const events = ports.events(config.KAFKA_CLIENT_ID ?? 'artist-api');
  const storage = config.S3_BUCKET
    ? s3AudioStorage({
        bucket: config.S3_BUCKET,
        client: createS3Client({ region: config.S3_REGION, endpoint: config.S3_ENDPOINT }),
        expiresInSeconds: config.S3_PRESIGN_TTL_SECONDS,
      })
    : localAudioStorage(config.AUDIO_STORAGE_DIR);

  const api = buildApp({
    logger,
    pool,
    cache,
    ...(options.rateLimitRedis ? { rateLimitRedis: options.rateLimitRedis } : {}),
    storage,
    trustedProxies,
    messaging,
    deadLetterQueues: config.DEAD_LETTER_QUEUES,
    limits: {
      perKeyPerMinute: config.API_RATE_LIMIT_PER_MINUTE,
      downloadsPerIpPerMinute: config.DOWNLOAD_RATE_LIMIT_PER_IP,
      downloadsPerTokenPerMinute: config.DOWNLOAD_RATE_LIMIT_PER_TOKEN,
    },
    downloadFileLinkTtlMs: config.DOWNLOAD_FILE_LINK_TTL_SECONDS * 1000,
    salesCacheTtlMs: config.SALES_CACHE_TTL_SECONDS * 1000,
    shopify: shopifySettingsFrom(config),
  });
  const invalidator = new SalesCacheInvalidator({
    events,
    summaries: api.summaries,
    logger,
    partitions: config.SALES_TOPIC_PARTITIONS,
  });
  await invalidator.start();
  return {
    api,
    async close() {
      await invalidator.stop();
      await events.close();
      await messaging.close();
      await cache.close();
      await pool.end();
    },
  };
}
