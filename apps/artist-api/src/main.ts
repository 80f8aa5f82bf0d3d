import { createRedisCache } from '@single/cache';
import { createKafkaEventBus } from '@single/events';
import { serve } from '@single/http';
import { createLogger } from '@single/logger';
import { createAmqpMessaging } from '@single/messaging';
import { traceLogFields } from '@single/tracing';
import { compileTrustedProxies } from '@single/trusted-proxy';
import { Redis } from 'ioredis';
import pg from 'pg';
import { buildApp } from './app.ts';
import { loadArtistApiConfig } from './config.ts';
import { createS3Client, localAudioStorage, s3AudioStorage } from './downloads/storage.ts';
import { SalesCacheInvalidator } from './sales/cache-invalidator.ts';

const config = loadArtistApiConfig(process.env);
const logger = createLogger({
  level: config.LOG_LEVEL,
  service: 'artist-api',
  base: { env: config.DD_ENV, version: config.DD_VERSION },
  mixin: traceLogFields,
});
const trustedProxies = compileTrustedProxies(config.TRUSTED_PROXIES);
for (const warning of trustedProxies.warnings) logger.warn(warning);

const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 10, connectionTimeoutMillis: 2_000 });
pool.on('error', (err) => logger.warn({ err }, 'idle PostgreSQL connection lost'));
const cache = createRedisCache({ url: config.REDIS_URL, keyPrefix: 'artist-api:', logger });
// The rate-limit store fails fast too: a Redis outage lets requests through (skipOnError) instead of queueing them.
const rateLimitRedis = new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 500, connectTimeout: 1_000 });
rateLimitRedis.on('error', (err) => logger.debug({ err }, 'rate-limit store unreachable'));
const messaging = createAmqpMessaging({ url: config.RABBITMQ_URL, connectionName: 'artist-api', topology: { exchanges: [], queues: [] }, logger });
const events = createKafkaEventBus({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID ?? 'artist-api', logger });

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
  rateLimitRedis,
  storage,
  trustedProxies,
  messaging,
  deadLetterQueues: config.DEAD_LETTER_QUEUES,
  limits: {
    perKeyPerMinute: config.API_RATE_LIMIT_PER_MINUTE,
    downloadsPerIpPerMinute: config.DOWNLOAD_RATE_LIMIT_PER_IP,
    downloadsPerTokenPerMinute: config.DOWNLOAD_RATE_LIMIT_PER_TOKEN,
  },
  salesCacheTtlMs: config.SALES_CACHE_TTL_SECONDS * 1000,
});

const invalidator = new SalesCacheInvalidator({ events, summaries: api.summaries, logger });
await invalidator.start();

await serve(api, {
  host: config.HOST,
  port: config.PORT,
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  onClose: [() => invalidator.stop(), () => events.close(), () => messaging.close(), () => cache.close(), async () => void rateLimitRedis.disconnect(), () => pool.end()],
});
