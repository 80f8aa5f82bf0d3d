import { createServicePool } from '@single/db/pool';
import { type EventBus, ensureTopicPartitions } from '@single/events';
import type { Logger } from '@single/logger';
import type { Messaging, MessagingHooks, Topology } from '@single/messaging';
import { buildWorker, type Worker } from './app.ts';
import type { WorkerConfig } from './config.ts';
import type { MailTransport } from './email/mailer.ts';
import { DownloadTokens } from './grants/tokens.ts';
import { FanSealer } from './sales/fan-sealing.ts';
import { ShopifyAdminClient } from './shopify-admin/admin-client.ts';
import { workerTopology } from './topology.ts';
import { tracingHooks } from './tracing.ts';

export { loadWorkerConfig, type WorkerConfig } from './config.ts';
export { QUEUES } from './topology.ts';

/** The adapters a host process hands in (the zero-setup demo: in-memory broker and events, a mailbox folder). */
export interface EmbeddedWorkerPorts {
  logger: Logger;
  messaging(options: { connectionName: string; topology: Topology; hooks?: MessagingHooks }): Messaging;
  events(clientId: string): EventBus;
  mail: MailTransport;
}

export interface EmbeddedWorker {
  worker: Worker;
  messaging: Messaging;
  /** Same order as main.ts: stop consuming and the loops, then the connections. */
  close(): Promise<void>;
}

/**
 * The worker as main.ts wires it, on adapters chosen by the host. Shopify fulfilments are sent only when
 * SHOPIFY_ADMIN_URL_TEMPLATE is set (a local stand-in): without a real shop there is nobody to tell.
 */
export async function startEmbeddedWorker(config: WorkerConfig, ports: EmbeddedWorkerPorts): Promise<EmbeddedWorker> {
  const { logger } = ports;
  const pool = createServicePool(
    { connectionString: config.DATABASE_URL, max: config.DATABASE_POOL_SIZE, connectionTimeoutMillis: 2_000 },
    (obj, msg) => logger.warn(obj, msg),
  );
  const messaging = ports.messaging({
    connectionName: 'fulfillment-worker',
    topology: workerTopology(config.RETRY_DELAYS_MS),
    hooks: tracingHooks,
  });
  const bus = ports.events(config.KAFKA_CLIENT_ID ?? 'fulfillment-worker');
  const worker = buildWorker({
    logger,
    pool,
    messaging,
    tokens: new DownloadTokens(config.DOWNLOAD_TOKEN_SECRETS),
    mail: { transport: ports.mail, from: config.EMAIL_FROM },
    downloadBaseUrl: config.DOWNLOAD_BASE_URL,
    events: { bus, topic: config.SALES_TOPIC, sealer: new FanSealer(config.FAN_HASH_SECRET) },
    shopTokenKeys: config.SHOP_TOKEN_KEYS,
    ...(config.SHOPIFY_ADMIN_URL_TEMPLATE
      ? {
          shopify: new ShopifyAdminClient({
            apiVersion: config.SHOPIFY_ADMIN_API_VERSION,
            urlTemplate: config.SHOPIFY_ADMIN_URL_TEMPLATE,
          }),
        }
      : {}),
    retryDelaysMs: config.RETRY_DELAYS_MS,
    orderPrefetch: config.ORDER_PREFETCH,
    batch: { maxBatch: config.SNAPSHOT_BATCH_SIZE, concurrency: config.SNAPSHOT_BATCH_CONCURRENCY },
    pollIntervalMs: config.POLL_INTERVAL_MS,
    outboxLeaseMs: config.OUTBOX_LEASE_MS,
  });
  await ensureTopicPartitions(bus, config.SALES_TOPIC, config.SALES_TOPIC_PARTITIONS, logger);
  await worker.start();
  return {
    worker,
    messaging,
    async close() {
      await worker.stop();
      await messaging.close();
      await bus.close();
      await pool.end();
    },
  };
}
