import { createDbOnPool, type Db } from '@single/db';
import { createHttpApp, type HttpApp, registerMetrics } from '@single/http';
import type { Logger } from '@single/logger';
import type { Pool } from 'pg';
import { warmDb } from './db-warm-up.ts';
import { ClaimService } from './deliveries/claim-service.ts';
import type { DedupeCache } from './deliveries/dedupe-cache.ts';
import { DeliveryRepository } from './deliveries/delivery.repository.ts';
import { type KnownShops, knownShops } from './deliveries/known-shops.ts';
import type { MaintenanceSwitch } from './maintenance.ts';
import { DispatcherMetrics } from './metrics.ts';
import { OutboxWaker } from './relay/outbox-waker.ts';
import { registerShopifyWebhookRoute } from './shopify/webhook.routes.ts';

export interface DispatcherDeps {
  logger: Logger;
  pool: Pool;
  dedupe: DedupeCache;
  maintenance: MaintenanceSwitch;
  secrets: readonly string[];
  bodyLimit?: number;
  payloadRetentionDays?: number;
  claimDeadlineMs?: number;
  /** Claims waiting for a database flush at most; past it a delivery gets 503 `claim_queue_full` at once. */
  claimQueueMax?: number;
  /** Wakes the outbox relay after each committed claim; default: a throttled NOTIFY (no relay in-process). */
  waker?: OutboxWaker;
  /** Default: the `shop` table, known shops kept in process for a minute. */
  shops?: KnownShops;
  /** Default: a registry of its own, the outbox gauges read from `pool`. */
  metrics?: DispatcherMetrics;
  now?: () => Date;
}

export interface Dispatcher extends HttpApp {
  claims: ClaimService;
  /** Prisma Client on the dispatcher's pool: everything but the claim, the relay and the waker (ARCHITECTURE.md). */
  db: Db;
  metrics: DispatcherMetrics;
}

/** Builds the dispatcher's HTTP app; no listening, no background work (main.ts starts the relay). */
export function buildApp(deps: DispatcherDeps): Dispatcher {
  const bodyLimit = deps.bodyLimit ?? 2 * 1024 * 1024;
  const db = createDbOnPool(deps.pool);
  const http = createHttpApp({
    logger: deps.logger,
    bodyLimit,
    readiness: [{ name: 'postgres', check: async () => void (await db.$executeRaw`SELECT 1`) }],
  });
  // Before the first request (db-warm-up.ts: the client's first queries block the event loop for a moment).
  http.app.addHook('onReady', async () => warmDb(db, deps.logger));
  http.app.addHook('onClose', async () => db.$disconnect());
  const metrics = deps.metrics ?? new DispatcherMetrics(db);
  registerMetrics(http.app, metrics.registry);
  const waker = deps.waker ?? new OutboxWaker({ pool: deps.pool, logger: deps.logger });
  const claims = new ClaimService(
    new DeliveryRepository(deps.pool),
    deps.dedupe,
    deps.logger,
    (lanes) => waker.claimed(lanes),
    { maxQueued: deps.claimQueueMax ?? 1_000 },
  );
  registerShopifyWebhookRoute(http.app, {
    secrets: deps.secrets,
    claims,
    shops: deps.shops ?? knownShops(db),
    maintenance: deps.maintenance,
    bodyLimit,
    payloadRetentionDays: deps.payloadRetentionDays ?? 7,
    claimDeadlineMs: deps.claimDeadlineMs ?? 3_000,
    metrics,
    ...(deps.now ? { now: deps.now } : {}),
  });
  return { ...http, claims, db, metrics };
}
