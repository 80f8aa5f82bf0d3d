import { createHttpApp, type HttpApp, registerMetrics } from '@single/http';
import type { Logger } from '@single/logger';
import type { Pool } from 'pg';
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
  metrics: DispatcherMetrics;
}

/** Builds the dispatcher's HTTP app; no listening, no background work (main.ts starts the relay). */
export function buildApp(deps: DispatcherDeps): Dispatcher {
  const bodyLimit = deps.bodyLimit ?? 2 * 1024 * 1024;
  const http = createHttpApp({
    logger: deps.logger,
    bodyLimit,
    readiness: [{ name: 'postgres', check: async () => void (await deps.pool.query('SELECT 1')) }],
  });
  const metrics = deps.metrics ?? new DispatcherMetrics(deps.pool);
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
    shops: deps.shops ?? knownShops(deps.pool),
    maintenance: deps.maintenance,
    bodyLimit,
    payloadRetentionDays: deps.payloadRetentionDays ?? 7,
    claimDeadlineMs: deps.claimDeadlineMs ?? 3_000,
    metrics,
    ...(deps.now ? { now: deps.now } : {}),
  });
  return { ...http, claims, metrics };
}
