import { createServicePool } from '@single/db/pool';
import { createKafkaEventBus, ensureTopicPartitions, kafkaSecurityFromEnvOrExit } from '@single/events';
import { serve } from '@single/http';
import { createLogger } from '@single/logger';
import { createAmqpMessaging } from '@single/messaging';
import { traceLogFields } from '@single/tracing';
import { buildWorker, type PausePoint } from './app.ts';
import { loadWorkerConfig } from './config.ts';
import { createSmtpTransport } from './email/smtp-transport.ts';
import { DownloadTokens } from './grants/tokens.ts';
import { FanSealer } from './sales/fan-sealing.ts';
import { ShopifyAdminClient } from './shopify-admin/admin-client.ts';
import { workerTopology } from './topology.ts';
import { tracingHooks } from './tracing.ts';

const config = loadWorkerConfig(process.env);
const kafkaSecurity = kafkaSecurityFromEnvOrExit(process.env);
const logger = createLogger({
  level: config.LOG_LEVEL,
  service: 'fulfillment-worker',
  base: { env: config.DD_ENV, version: config.DD_VERSION },
  mixin: traceLogFields,
});
const pool = createServicePool(
  { connectionString: config.DATABASE_URL, max: config.DATABASE_POOL_SIZE, connectionTimeoutMillis: 2_000 },
  (obj, msg) => logger.warn(obj, msg),
);
const messaging = createAmqpMessaging({
  url: config.RABBITMQ_URL,
  connectionName: 'fulfillment-worker',
  topology: workerTopology(config.RETRY_DELAYS_MS),
  logger,
  hooks: tracingHooks,
});
const bus = createKafkaEventBus({
  brokers: config.KAFKA_BROKERS,
  clientId: config.KAFKA_CLIENT_ID ?? 'fulfillment-worker',
  logger,
  security: kafkaSecurity,
});
// A send the mailer stops waiting for stays `sending` until it settles: nodemailer's own timeouts (half the
// lease) end a dead connection, so it settles before the lease would resend it.
const transport = createSmtpTransport({
  url: config.SMTP_URL,
  maxConnections: config.SMTP_MAX_CONNECTIONS,
  leaseMs: config.OUTBOX_LEASE_MS,
});

if (config.TEST_PAUSE_AT && config.NODE_ENV === 'production') {
  logger.error('TEST_PAUSE_AT is for tests only and is refused when NODE_ENV is production');
  process.exit(1);
}
const paused = new Set<PausePoint>();
// The restart tests' SIGKILL point: a marker line on stdout, then this path never returns (the test kills us).
const pause = async (point: PausePoint, id: string) => {
  if (point !== config.TEST_PAUSE_AT || paused.has(point)) return;
  paused.add(point);
  process.stdout.write(`TEST_PAUSE ${point} ${id}\n`);
  await new Promise<never>(() => undefined);
};

const worker = buildWorker({
  logger,
  pool,
  messaging,
  tokens: new DownloadTokens(config.DOWNLOAD_TOKEN_SECRETS),
  mail: { transport, from: config.EMAIL_FROM },
  downloadBaseUrl: config.DOWNLOAD_BASE_URL,
  events: { bus, topic: config.SALES_TOPIC, sealer: new FanSealer(config.FAN_HASH_SECRET) },
  shopTokenKeys: config.SHOP_TOKEN_KEYS,
  shopify: new ShopifyAdminClient({
    apiVersion: config.SHOPIFY_ADMIN_API_VERSION,
    ...(config.SHOPIFY_ADMIN_URL_TEMPLATE ? { urlTemplate: config.SHOPIFY_ADMIN_URL_TEMPLATE } : {}),
  }),
  retryDelaysMs: config.RETRY_DELAYS_MS,
  orderPrefetch: config.ORDER_PREFETCH,
  batch: { maxBatch: config.SNAPSHOT_BATCH_SIZE, concurrency: config.SNAPSHOT_BATCH_CONCURRENCY },
  pollIntervalMs: config.POLL_INTERVAL_MS,
  outboxLeaseMs: config.OUTBOX_LEASE_MS,
  ...(config.TEST_PAUSE_AT ? { pause } : {}),
});

await ensureTopicPartitions(bus, config.SALES_TOPIC, config.SALES_TOPIC_PARTITIONS, logger).catch((err: unknown) =>
  logger.warn({ err }, 'sales topic not ensured; the relay retries'),
);
await worker.start();
await serve(worker.http, {
  host: config.HOST,
  port: config.PORT,
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  // Order matters: stop consuming and finish in-flight handlers, then the loops, then the connections
  // (dd-trace flushes its remaining spans on process exit).
  onClose: [
    () => worker.stop(),
    () => messaging.close(),
    () => bus.close(),
    async () => transport.close(),
    () => pool.end(),
  ],
});
