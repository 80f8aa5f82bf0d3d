import type { Db } from '@single/db';
import type { Logger } from '@single/logger';

/**
 * How long a `webhook_delivery` row is kept at least, whatever the configuration: it is the dedupe guard for
 * every retry of its delivery. Shopify retries a failed delivery for 48 hours (TRIGGERED_AT_HORIZON_MS), a
 * delivery can arrive a day late, and the Redis fast path remembers claims for 72 hours (CLAIM_TTL_MS): three
 * days covers them all.
 */
export const MIN_DELIVERY_RETENTION_DAYS = 3;

export interface DeliveryRetentionOptions {
  /** Rows received longer ago than this are deleted (never below MIN_DELIVERY_RETENTION_DAYS). */
  retentionDays: number;
  /** Rows per DELETE: each batch is its own short transaction. */
  batchSize?: number;
  /** Pause between batches, so a large backlog does not flood WAL and I/O in one go. */
  pauseMs?: number;
}

/** What a batch needs of Prisma: the client, or an interactive transaction of it. */
type Executor = Pick<Db, '$executeRaw'>;

/**
 * One batch: at most `batchSize` rows received more than `days` ago; returns how many were deleted.
 *
 * Oldest first through the received_at index. A row whose payload is still held for replay
 * (payload_expires_at, DELIVERY_PAYLOAD_RETENTION_DAYS) is kept until then, whatever the two settings say. Rows
 * with a publish still owed (an outbox row: first publish or a replay) are kept: deleting one would cascade to its
 * outbox row and lose the publish. SKIP LOCKED: a row someone holds (a replay inserting its outbox row holds a
 * key-share lock on it) is left for the next round instead of making the sweep, and whoever waits behind it, wait.
 * Typed SQL on Prisma (one statement, as before): the client has no row locks, let alone SKIP LOCKED.
 */
export async function deleteOldDeliveriesBatch(db: Executor, days: number, batchSize: number): Promise<number> {
  return db.$executeRaw`
    WITH doomed AS (
      SELECT d.id FROM webhook_delivery d
      WHERE d.received_at < now() - ${Math.max(days, MIN_DELIVERY_RETENTION_DAYS)}::int * interval '1 day'
        AND NOT EXISTS (SELECT 1 FROM dispatch_outbox o WHERE o.delivery_id = d.id)
        AND (d.payload_expires_at IS NULL OR d.payload_expires_at <= now())
      ORDER BY d.received_at
      LIMIT ${batchSize}::int
      FOR UPDATE SKIP LOCKED
    )
    DELETE FROM webhook_delivery WHERE id IN (SELECT id FROM doomed)`;
}

/**
 * Deletes the delivery log rows past their retention, in batches of `batchSize`, each in its own transaction,
 * until a batch comes back short. Intake only inserts new rows, which these deletes neither lock nor wait for.
 */
export async function sweepOldDeliveries(
  db: Db,
  options: DeliveryRetentionOptions,
): Promise<{ deleted: number; batches: number }> {
  const batchSize = options.batchSize ?? 1_000;
  let deleted = 0;
  for (let batches = 1; ; batches++) {
    const n = await deleteOldDeliveriesBatch(db, options.retentionDays, batchSize);
    deleted += n;
    if (n < batchSize) return { deleted, batches };
    if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
  }
}

/** Runs the sweep now and then every `everyMs`; returns a stop function. */
export function scheduleDeliveryRetention(
  db: Db,
  logger: Logger,
  options: DeliveryRetentionOptions,
  everyMs = 3_600_000,
): () => void {
  let running = false;
  const run = async () => {
    if (running) return;
    running = true;
    try {
      const { deleted } = await sweepOldDeliveries(db, { pauseMs: 20, ...options });
      if (deleted > 0) logger.info({ deleted, retentionDays: options.retentionDays }, 'old webhook deliveries deleted');
    } catch (err) {
      logger.warn({ err }, 'delivery retention sweep failed, will retry');
    } finally {
      running = false;
    }
  };
  void run();
  const timer = setInterval(run, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
