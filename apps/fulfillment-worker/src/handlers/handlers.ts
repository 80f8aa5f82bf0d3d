import type { Db } from '@single/db';
import type { Logger } from '@single/logger';
import type { MessageHandler } from '@single/messaging';
import { outboxTraceContext } from '@single/tracing';
import type { Pool } from 'pg';
import type { DownloadTokens } from '../grants/tokens.ts';
import { exportCustomerData, markShopUninstalled, redactCustomer, redactShop } from '../privacy/privacy.service.ts';
import {
  appUninstalled,
  customersDataRequest,
  customersRedact,
  orderSnapshot,
  refundCreated,
  shopRedact,
} from '../shopify/payloads.ts';
import { Batcher } from '../support/batcher.ts';
import { readEnvelope } from './envelope.ts';
import { uninstallInstant } from './install-window.ts';
import { applySnapshots, type SnapshotOutcome, type SnapshotWork } from './order-snapshot/apply-snapshots.ts';
import { applyRefund } from './refund-create/apply-refund.ts';

export interface HandlerDeps {
  pool: Pool;
  /** Prisma Client on the same pool: the refund and the privacy steps run on it (issue 16). */
  db: Db;
  tokens: DownloadTokens;
  logger: Logger;
  now: () => Date;
  /** Orders per snapshot transaction, and transactions at once. */
  batch?: { maxBatch?: number; concurrency?: number };
}

export interface Handlers {
  orderSnapshot: MessageHandler;
  refundCreated: MessageHandler;
  appUninstalled: MessageHandler;
  customersRedact: MessageHandler;
  customersDataRequest: MessageHandler;
  shopRedact: MessageHandler;
}

/** One idempotent handler per message type; all validate at the edge (invalid -> dead-letter queue). */
export function createHandlers(deps: HandlerDeps): Handlers {
  const { pool, logger, now } = deps;
  const snapshots = new Batcher<SnapshotWork, SnapshotOutcome>(
    (work) => applySnapshots({ pool, tokens: deps.tokens, now }, work),
    deps.batch,
  );
  const dropped = (topic: string, shopDomain: string, webhookId: string) =>
    logger.info({ topic, shopDomain, webhookId }, 'shop uninstalled: message acknowledged and dropped');

  return {
    // orders/create, paid, updated and cancelled: one snapshot path, the state inside decides.
    async orderSnapshot(message) {
      const { envelope, payload } = readEnvelope(message, orderSnapshot);
      // The batch runs under whichever message started it: each order keeps its own message's trace.
      const outcome = await snapshots.submit({
        shopDomain: envelope.shopDomain,
        snapshot: payload,
        trace: outboxTraceContext(),
      });
      if (outcome.status === 'shop_uninstalled') dropped(envelope.topic, envelope.shopDomain, envelope.webhookId);
    },
    async refundCreated(message) {
      const { envelope, payload } = readEnvelope(message, refundCreated);
      const outcome = await applyRefund(deps.db, envelope.shopDomain, payload, now());
      if (outcome.status === 'shop_uninstalled') dropped(envelope.topic, envelope.shopDomain, envelope.webhookId);
    },
    async appUninstalled(message) {
      const { envelope } = readEnvelope(message, appUninstalled);
      const at = uninstallInstant(envelope.triggeredAt, envelope.receivedAt);
      await markShopUninstalled(deps.db, envelope.shopDomain, at, now());
      logger.info({ shopDomain: envelope.shopDomain }, 'shop uninstalled the app');
    },
    async customersRedact(message) {
      const { envelope, payload } = readEnvelope(message, customersRedact);
      const orders = await redactCustomer(deps.db, envelope.shopDomain, payload);
      logger.info({ shopDomain: envelope.shopDomain, orders }, 'customer redacted');
    },
    async customersDataRequest(message) {
      const { envelope, payload } = readEnvelope(message, customersDataRequest);
      await exportCustomerData(deps.db, envelope.shopDomain, payload, now());
      logger.info(
        { shopDomain: envelope.shopDomain, dataRequestId: payload.data_request?.id },
        'customer data exported',
      );
    },
    async shopRedact(message) {
      const { envelope } = readEnvelope(message, shopRedact);
      await redactShop(deps.db, envelope.shopDomain, now());
      logger.info({ shopDomain: envelope.shopDomain }, 'shop redacted');
    },
  };
}
