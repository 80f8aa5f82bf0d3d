import { createDbOnPool } from '@single/db';
import { sweepExpiredDataRequestExports } from '@single/db/commands/data-request-exports';
import type { ShopTokenKeyring } from '@single/db/commands/shop-token';
import type { EventBus } from '@single/events';
import { createHttpApp, createMetricsRegistry, type HttpApp, registerMetrics } from '@single/http';
import type { Logger } from '@single/logger';
import type { Consumer, MessageHandler, Messaging } from '@single/messaging';
import type { Pool, PoolClient } from 'pg';
import { Mailer, type MailTransport } from './email/mailer.ts';
import type { DownloadTokens } from './grants/tokens.ts';
import { orderSerializationKey } from './handlers/envelope.ts';
import { createHandlers } from './handlers/handlers.ts';
import type { FanSealer } from './sales/fan-sealing.ts';
import { SalesRelay } from './sales/sales-relay.ts';
import { PreorderScheduler } from './scheduler/preorder-scheduler.ts';
import type { ShopifyAdminClient } from './shopify-admin/admin-client.ts';
import { FulfillmentSender } from './shopify-admin/fulfillment-sender.ts';
import { registerBacklogMetrics } from './support/backlog-metrics.ts';
import { OutboxMetrics } from './support/outbox-metrics.ts';
import { WorkLoop } from './support/work-loop.ts';
import { QUEUES } from './topology.ts';

export interface WorkerDeps {
  logger: Logger;
  pool: Pool;
  messaging: Messaging;
  tokens: DownloadTokens;
  mail: { transport: MailTransport; from: string };
  downloadBaseUrl: string;
  /** Kafka for `sales.v1`; without it the outbox only grows (the demo without Kafka). */
  events?: { bus: EventBus; topic?: string; sealer: FanSealer };
  shopify?: ShopifyAdminClient;
  /** Opens the shops' sealed Admin API tokens (SHOP_TOKEN_KEYS). */
  shopTokenKeys?: ShopTokenKeyring;
  /** Ladder of the email and Shopify outboxes (the queues' ladder lives in the topology). */
  retryDelaysMs: readonly number[];
  orderPrefetch?: number;
  pollIntervalMs?: number;
  now?: () => Date;
  /** Snapshot batching (orders per transaction, transactions at once). */
  batch?: { maxBatch?: number; concurrency?: number };
  /** Lease of a claimed email or fulfilment in `sending` (OUTBOX_LEASE_MS; default 2 min). */
  outboxLeaseMs?: number;
  /**
   * Test-only (TEST_PAUSE_AT, the restart tests' SIGKILL points): awaited at a point where a crash is the
   * interesting case; main.ts's version prints a marker line and never returns.
   */
  pause?: (point: PausePoint, id: string) => Promise<void>;
}

export type PausePoint = 'after_commit_before_ack' | 'after_smtp_accept';

export interface Worker {
  http: HttpApp;
  /** Starts consuming and the background loops (scheduler, mailer, Shopify, Kafka relay). */
  start(): Promise<void>;
  /** Graceful: stop consuming, let in-flight handlers finish and ack, then stop the loops. */
  stop(): Promise<void>;
}

/** Wires the worker from its dependencies; no side effects until start(). */
export function buildWorker(deps: WorkerDeps): Worker {
  const now = deps.now ?? (() => new Date());
  const { pool, logger, messaging } = deps;
  const idleMs = deps.pollIntervalMs ?? 1_000;
  // Prisma Client on the worker's pool: the scrape-time gauges, readiness, the privacy steps, refunds and the
  // pre-order tick (the batched snapshot handler and the outboxes stay pg: ARCHITECTURE.md).
  const db = createDbOnPool(pool);
  const handlers = createHandlers({
    pool,
    db,
    logger,
    tokens: deps.tokens,
    now,
    ...(deps.batch ? { batch: deps.batch } : {}),
  });

  const registry = createMetricsRegistry();
  const metrics = new OutboxMetrics(db, registry);
  registerBacklogMetrics(registry, db, messaging);
  const lease = deps.outboxLeaseMs ? { leaseMs: deps.outboxLeaseMs } : {};
  const { pause } = deps;
  const mailer = new Mailer({
    pool,
    transport: deps.mail.transport,
    tokens: deps.tokens,
    from: deps.mail.from,
    downloadBaseUrl: deps.downloadBaseUrl,
    retryDelaysMs: deps.retryDelaysMs,
    now,
    logger,
    metrics,
    ...lease,
    ...(pause ? { afterAccept: (id: string) => pause('after_smtp_accept', id) } : {}),
  });
  const scheduler = new PreorderScheduler({ db, now });
  const loops: Record<string, WorkLoop> = {
    scheduler: new WorkLoop({ name: 'preorder-scheduler', idleMs, logger, tick: () => scheduler.tick() }),
    mailer: new WorkLoop({ name: 'mailer', idleMs, logger, tick: () => mailer.tick() }),
    // Data-request exports expire (issue 14): their payload is nulled, the row answers 410. Once a minute is plenty.
    exportSweep: new WorkLoop({
      name: 'data-request-export-sweep',
      idleMs: Math.max(idleMs, 60_000),
      logger,
      tick: () => sweepExpiredDataRequestExports(pool, now()),
    }),
  };
  if (deps.shopify) {
    const sender = new FulfillmentSender({
      pool,
      client: deps.shopify,
      tokenKeys: deps.shopTokenKeys ?? [],
      retryDelaysMs: deps.retryDelaysMs,
      now,
      logger,
      metrics,
      ...lease,
    });
    loops.fulfillment = new WorkLoop({ name: 'shopify-fulfillment', idleMs, logger, tick: () => sender.tick() });
  }
  if (deps.events) {
    const relay = new SalesRelay({
      pool,
      bus: deps.events.bus,
      sealer: deps.events.sealer,
      logger,
      ...(deps.events.topic ? { topic: deps.events.topic } : {}),
    });
    loops.sales = new WorkLoop({ name: 'sales-relay', idleMs, logger, tick: () => relay.tick() });
  }
  const wakeOn: Record<string, WorkLoop | undefined> = {
    email_message: loops.mailer,
    fulfillment: loops.fulfillment,
    sales_outbox: loops.sales,
  };

  let consumers: Consumer[] = [];
  let listener: PoolClient | undefined;
  let stopping = false;
  let relisten: NodeJS.Timeout | undefined;

  // NOTIFY is the fast path that wakes a loop right after a commit; polling covers a lost listener.
  async function listen(): Promise<void> {
    try {
      const client = await pool.connect();
      client.on('notification', (n) => wakeOn[n.channel]?.wake());
      client.on('error', (err) => {
        logger.warn({ err }, 'notification listener lost');
        client.release(true);
        if (listener === client) listener = undefined;
        if (!stopping) relisten = setTimeout(() => void listen(), idleMs);
      });
      await client.query('LISTEN email_message; LISTEN fulfillment; LISTEN sales_outbox');
      listener = client;
    } catch (err) {
      logger.warn({ err }, 'notification listener not started');
      if (!stopping) relisten = setTimeout(() => void listen(), idleMs);
    }
  }

  const http = createHttpApp({
    logger,
    readiness: [
      { name: 'postgres', check: async () => void (await db.$executeRaw`SELECT 1`) },
      { name: 'rabbitmq', check: async () => messaging.health().connected },
    ],
  });
  // Prometheus text for the Datadog agent's OpenMetrics check (no public routes: the health port is internal).
  registerMetrics(http.app, registry);
  // The handler's transaction has committed; the ack follows its return.
  const pausedAfterCommit = (handler: MessageHandler): MessageHandler =>
    pause
      ? async (message) => {
          await handler(message);
          await pause('after_commit_before_ack', message.messageId ?? '');
        }
      : handler;

  return {
    http,
    async start() {
      // The client's first query instantiates its query compiler and blocks the event loop for a moment: taken
      // here rather than by the first scrape while handlers run. Best effort: a failure leaves it to that scrape.
      await db.emailMessage
        .aggregate({ where: { status: 'failed' }, _count: { _all: true }, _min: { createdAt: true } })
        .catch((err) => logger.warn({ err }, 'Prisma warm-up failed; the first scrape compiles instead'));
      await listen();
      for (const loop of Object.values(loops)) loop.start();
      const orders = { prefetch: deps.orderPrefetch ?? 300, serializeBy: orderSerializationKey };
      const privacy = { prefetch: 10 };
      consumers = await Promise.all([
        messaging.consume(QUEUES.orderSnapshots, pausedAfterCommit(handlers.orderSnapshot), orders),
        messaging.consume(QUEUES.orderCancellations, handlers.orderSnapshot, orders),
        messaging.consume(QUEUES.refunds, handlers.refundCreated, orders),
        messaging.consume(QUEUES.appUninstalled, handlers.appUninstalled, privacy),
        messaging.consume(QUEUES.customersRedact, handlers.customersRedact, privacy),
        messaging.consume(QUEUES.customersDataRequest, handlers.customersDataRequest, privacy),
        messaging.consume(QUEUES.shopRedact, handlers.shopRedact, privacy),
      ]);
    },
    async stop() {
      stopping = true;
      http.health.shuttingDown = true;
      clearTimeout(relisten);
      await Promise.all(consumers.map((c) => c.cancel()));
      consumers = [];
      await Promise.all(Object.values(loops).map((loop) => loop.stop()));
      listener?.release();
      listener = undefined;
      await db.$disconnect();
    },
  };
}
