import type { Logger } from '@single/logger';
import type { Pool } from 'pg';

/**
 * Payloads hold personal data: the delivery log keeps them for replay until `payload_expires_at`
 * (DELIVERY_PAYLOAD_RETENTION_DAYS), then this clears them in small batches; ids, times and status stay.
 */
export async function sweepExpiredPayloads(pool: Pool, batchSize = 1_000): Promise<number> {
  let cleared = 0;
  for (;;) {
    const { rowCount } = await pool.query(
      `UPDATE webhook_delivery SET payload = NULL
       WHERE id IN (SELECT id FROM webhook_delivery WHERE payload IS NOT NULL AND payload_expires_at <= now()
                    AND NOT EXISTS (SELECT 1 FROM dispatch_outbox o WHERE o.delivery_id = webhook_delivery.id)
                    LIMIT $1)`,
      [batchSize],
    );
    cleared += rowCount ?? 0;
    if ((rowCount ?? 0) < batchSize) return cleared;
  }
}

/** Runs the sweep now and then every `everyMs`; returns a stop function. */
export function schedulePayloadSweep(pool: Pool, logger: Logger, everyMs = 3_600_000): () => void {
  const run = () =>
    sweepExpiredPayloads(pool).then(
      (cleared) => cleared > 0 && logger.info({ cleared }, 'expired delivery payloads cleared'),
      (err) => logger.warn({ err }, 'payload sweep failed, will retry'),
    );
  void run();
  const timer = setInterval(run, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
