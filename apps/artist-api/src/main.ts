import { createRedisCache } from '@single/cache';
import { createKafkaEventBus, kafkaSecurityFromEnvOrExit } from '@single/events';
import { serve } from '@single/http';
import { createLogger } from '@single/logger';
import { createAmqpMessaging } from '@single/messaging';
import { traceLogFields } from '@single/tracing';
import { Redis } from 'ioredis';
import { loadArtistApiConfig } from './config.ts';
import { startEmbeddedArtistApi } from './embedded.ts';

const config = loadArtistApiConfig(process.env);
const kafkaSecurity = kafkaSecurityFromEnvOrExit(process.env);
const logger = createLogger({
  level: config.LOG_LEVEL,
  service: 'artist-api',
  base: { env: config.DD_ENV, version: config.DD_VERSION },
  mixin: traceLogFields,
});
// The rate-limit store fails fast: a Redis outage lets requests through (skipOnError) instead of queueing them.
const rateLimitRedis = new Redis(config.REDIS_URL, {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 500,
  connectTimeout: 1_000,
});
rateLimitRedis.on('error', (err) => logger.debug({ err }, 'rate-limit store unreachable'));

const started = await startEmbeddedArtistApi(
  config,
  {
    logger,
    messaging: (options) => createAmqpMessaging({ url: config.RABBITMQ_URL, logger, ...options }),
    cache: (keyPrefix) => createRedisCache({ url: config.REDIS_URL, keyPrefix, logger }),
    events: (clientId) =>
      createKafkaEventBus({ brokers: config.KAFKA_BROKERS, clientId, logger, security: kafkaSecurity }),
  },
  { rateLimitRedis },
);

await serve(started.api, {
  host: config.HOST,
  port: config.PORT,
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  onClose: [() => started.close(), async () => void rateLimitRedis.disconnect()],
});
