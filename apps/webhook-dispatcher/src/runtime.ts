import { type Cache, createRedisCache } from '@single/cache';
import { EVENTS_EXCHANGE } from '@single/contracts';
import { createServicePool } from '@single/db/pool';
import { createLogger, type Logger } from '@single/logger';
import { createAmqpMessaging, type Messaging, type Topology } from '@single/messaging';
import { messagingTraceHooks, traceLogFields } from '@single/tracing';
import { buildApp, type Dispatcher } from './app.ts';
import type { DispatcherConfig } from './config.ts';
import { dedupeCache } from './deliveries/dedupe-cache.ts';
import { scheduleDeliveryRetention } from './deliveries/delivery-retention.ts';
import { schedulePayloadSweep } from './deliveries/payload-sweeper.ts';
import { MAINTENANCE_FLAG_KEY, maintenanceSwitch } from './maintenance.ts';
import { OutboxRelay } from './relay/outbox-relay.ts';
import { OutboxWaker } from './relay/outbox-waker.ts';

/** The dispatcher only declares the exchange; consumers own their queues and bindings. */
export const dispatcherTopology = { exchanges: [{ name: EVENTS_EXCHANGE, type: 'topic' as const }], queues: [] };

export interface DispatcherRuntime {
  logger: Logger;
  dispatcher: Dispatcher;
  relay: OutboxRelay;
  messaging: Messaging;
  /** Closes in dependency order: intake drained, relay stopped, then connections. */
  closers: (() => Promise<void>)[];
}

/** The clients the dispatcher runs on: real ones in createRuntime, the host's in embedded.ts. */
export interface DispatcherAdapters {
  logger: Logger;
  cache: Cache;
  /** The broker connection, given the dispatcher's own connection name, topology and publish deadline. */
  messaging(options: { connectionName: string; topology: Topology; publishTimeoutMs: number }): Messaging;
}

/** Wires real clients from the configuration: used by main.ts and lambda.ts alike. */
export function createRuntime(config: DispatcherConfig, options: { relay: boolean }): DispatcherRuntime {
  const logger = createLogger({
    level: config.LOG_LEVEL,
    service: 'webhook-dispatcher',
    base: { env: config.DD_ENV, version: config.DD_VERSION },
    mixin: traceLogFields,
  });
  return wireDispatcher(
    config,
    {
      logger,
      cache: createRedisCache({ url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX, logger }),
      messaging: (connection) =>
        createAmqpMessaging({ url: config.RABBITMQ_URL, ...connection, logger, hooks: messagingTraceHooks() }),
    },
    { relay: options.relay, payloadSweep: options.relay },
  );
}

/**
 * The dispatcher on the given clients: pool, app and relay (not started; the caller starts it). With
 * `relay`, the closers stop it; with `payloadSweep`, the payload and delivery log retention sweeps are scheduled.
 */
export function wireDispatcher(
  config: DispatcherConfig,
  adapters: DispatcherAdapters,
  options: { relay: boolean; payloadSweep: boolean },
): DispatcherRuntime {
  const { logger, cache } = adapters;
  const warn = (obj: { err: Error }, msg: string) => logger.warn(obj, msg);
  const pool = createServicePool(
    { connectionString: config.DATABASE_URL, max: 10, connectionTimeoutMillis: 2_000 },
    warn,
  );
  const messaging = adapters.messaging({
    connectionName: 'webhook-dispatcher',
    topology: dispatcherTopology,
    publishTimeoutMs: config.PUBLISH_TIMEOUT_MS,
  });
  // Its own connections: each lane or shard it holds keeps one (its session advisory lock), plus the LISTEN;
  // on the claims' pool they would starve intake once a replica holds several shards.
  const relayPool = createServicePool(
    { connectionString: config.DATABASE_URL, max: config.ORDERS_RELAY_LANES + 2, connectionTimeoutMillis: 2_000 },
    warn,
    'PostgreSQL connection of the relay',
  );
  const relay = new OutboxRelay({
    pool: relayPool,
    messaging,
    logger,
    lanes: ['privacy', 'orders'],
    ordersShards: config.ORDERS_RELAY_LANES,
    maxHeldShards: config.ORDERS_RELAY_LANES_PER_REPLICA ?? config.ORDERS_RELAY_LANES,
    publishTimeoutMs: config.PUBLISH_TIMEOUT_MS,
  });
  // A started relay is woken in-process; without one (Lambda intake) or on a replica whose relay does not
  // hold the lane, the waker NOTIFYs the one that does.
  const waker = new OutboxWaker({ pool, logger, local: (lane) => relay.wakeIfHeld(lane) });
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
    claimQueueMax: config.WEBHOOK_CLAIM_QUEUE_MAX,
    waker,
  });
  // Once the app is ready (its Prisma client warmed, app.ts), not while the relay connects: the first query
  // instantiates the client's query compiler, which blocks the event loop for a moment. Where payloads are swept,
  // old delivery log rows are deleted too (same hourly rhythm, small batches).
  let stopSweep = () => {};
  let stopRetention = () => {};
  if (options.payloadSweep) {
    dispatcher.app.addHook('onReady', async () => {
      stopSweep = schedulePayloadSweep(dispatcher.db, logger);
      stopRetention = scheduleDeliveryRetention(dispatcher.db, logger, {
        retentionDays: config.DELIVERY_LOG_RETENTION_DAYS,
      });
    });
  }
  const closers = [
    async () => stopSweep(),
    async () => stopRetention(),
    () => dispatcher.claims.drained(),
    async () => waker.close(),
    ...(options.relay ? [() => relay.stop()] : []),
    () => messaging.close(),
    () => cache.close(),
    () => relayPool.end(),
    () => pool.end(),
  ];
  return { logger, dispatcher, relay, messaging, closers };
}
