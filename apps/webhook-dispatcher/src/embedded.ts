import type { Cache } from '@single/cache';
import type { Logger } from '@single/logger';
import type { Messaging, MessagingHooks, Topology } from '@single/messaging';
import { traceHeaders } from '@single/tracing';
import pg from 'pg';
import { buildApp, type Dispatcher } from './app.ts';
import type { DispatcherConfig } from './config.ts';
import { dedupeCache } from './deliveries/dedupe-cache.ts';
import { MAINTENANCE_FLAG_KEY, maintenanceSwitch } from './maintenance.ts';
import { OutboxRelay } from './relay/outbox-relay.ts';
import { dispatcherTopology } from './runtime.ts';

export { type DispatcherConfig, loadDispatcherConfig } from './config.ts';

/** The adapters a host process hands in (the zero-setup demo: in-memory broker and cache, or real ones). */
export interface EmbeddedDispatcherPorts {
  logger: Logger;
  messaging(options: {
    connectionName: string;
    topology: Topology;
    hooks?: MessagingHooks;
    publishTimeoutMs?: number;
  }): Messaging;
  cache(keyPrefix: string): Cache;
}

export interface EmbeddedDispatcher {
  dispatcher: Dispatcher;
  relay: OutboxRelay;
  /** Same order as main.ts: intake drained, relay stopped, then connections. */
  close(): Promise<void>;
}

/** The dispatcher as main.ts wires it, on adapters chosen by the host; the relay is started. */
export async function startEmbeddedDispatcher(
  config: DispatcherConfig,
  ports: EmbeddedDispatcherPorts,
): Promise<EmbeddedDispatcher> {
  const { logger } = ports;
  const pool = new pg.Pool({ connectionString: config.DATABASE_URL, max: 10, connectionTimeoutMillis: 2_000 });
  pool.on('error', (err) => logger.warn({ err }, 'idle PostgreSQL connection lost'));
  const cache = ports.cache('dispatcher:');
  const messaging = ports.messaging({
    connectionName: 'webhook-dispatcher',
    topology: dispatcherTopology,
    publishTimeoutMs: config.PUBLISH_TIMEOUT_MS,
    hooks: { onPublishHeaders: (headers) => ({ ...headers, ...traceHeaders() }) },
  });
  const dispatcher = buildApp({
    logger,
    pool,
    dedupe: dedupeCache(cache, logger),
    maintenance: maintenanceSwitch({
      envFlag: config.MAINTENANCE_MODE,
      readFlag: () => cache.get(MAINTENANCE_FLAG_KEY),
    }),
    secrets: config.SHOPIFY_WEBHOOK_SECRETS,
    bodyLimit: config.WEBHOOK_BODY_LIMIT_BYTES,
    payloadRetentionDays: config.DELIVERY_PAYLOAD_RETENTION_DAYS,
    claimDeadlineMs: config.WEBHOOK_CLAIM_DEADLINE_MS,
  });
  const relay = new OutboxRelay({
    pool,
    messaging,
    logger,
    lanes: ['privacy', 'orders'],
    publishTimeoutMs: config.PUBLISH_TIMEOUT_MS,
  });
  await relay.start();
  return {
    dispatcher,
    relay,
    async close() {
      await dispatcher.claims.drained();
      await relay.stop();
      await messaging.close();
      await cache.close();
      await pool.end();
    },
  };
}
