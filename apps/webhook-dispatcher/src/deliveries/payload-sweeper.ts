import type { Db } from '@single/db';
import type { Logger } from '@single/logger';

/**
 * Payloads hold personal data: the delivery log keeps them for replay until `payload_expires_at`
 * (DELIVERY_PAYLOAD_RETENTION_DAYS), then this clears them in small batches; ids, times and status stay.
 */
export async function sweepExpiredPayloads(db: Db, batchSize = 1_000): Promise<number> {
  let cleared = 0;
  for (;;) {
    // A row still owed to the broker (an outbox row) keeps its payload until the relay has published it.
    const { count } = await db.webhookDelivery.updateMany({
      where: { payload: { not: null }, payloadExpiresAt: { lte: new Date() }, outbox: { none: {} } },
      data: { payload: null },
      limit: batchSize,
    });
    cleared += count;
    if (count < batchSize) return cleared;
  }
}

/** Runs the sweep now and then every `everyMs`; returns a stop function. */
export function schedulePayloadSweep(db: Db, logger: Logger, everyMs = 3_600_000): () => void {
  const run = () =>
    sweepExpiredPayloads(db).then(
      (cleared) => cleared > 0 && logger.info({ cleared }, 'expired delivery payloads cleared'),
      (err) => logger.warn({ err }, 'payload sweep failed, will retry'),
    );
  void run();
  const timer = setInterval(run, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
