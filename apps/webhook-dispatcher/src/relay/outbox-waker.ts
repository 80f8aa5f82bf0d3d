import type { Logger } from '@single/logger';
import type { Pool } from 'pg';
import type { Lane } from '../shopify/topics.ts';

export const OUTBOX_CHANNEL = 'dispatch_outbox';

export interface OutboxWakerOptions {
  pool: Pool;
  logger: Logger;
  /** Wakes this process's relay when it holds the lane; true when it did (no NOTIFY needed then). */
  local?: (lane: Lane) => boolean;
  /** At most one NOTIFY per lane per this many milliseconds; a claim meanwhile gets a trailing one. */
  intervalMs?: number;
}

/**
 * Tells the relay that the outbox has rows, after the claim committed. Not a pg_notify inside the claim
 * statement: PostgreSQL serialises the commits of every transaction that notifies (a database-wide lock
 * held through the WAL flush), which capped intake at one claim batch per commit. The relay in this process
 * is woken directly; otherwise (the lane's relay runs in another replica, or this is the Lambda intake) a
 * NOTIFY of its own, throttled per lane. The relay's idle poll is the backstop should one be lost.
 */
export class OutboxWaker {
  private readonly options: Required<Omit<OutboxWakerOptions, 'local'>> & Pick<OutboxWakerOptions, 'local'>;
  private readonly timers = new Map<Lane, NodeJS.Timeout>();
  private readonly owed = new Set<Lane>();

  constructor(options: OutboxWakerOptions) {
    this.options = { intervalMs: 20, ...options };
  }

  claimed(lanes: Iterable<Lane>): void {
    for (const lane of lanes) {
      if (this.options.local?.(lane)) continue;
      if (this.timers.has(lane)) this.owed.add(lane);
      else this.notify(lane);
    }
  }

  /** Stops the trailing NOTIFYs (shutdown); the relay's poll covers anything still owed. */
  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.owed.clear();
  }

  private notify(lane: Lane) {
    this.options.pool.query('SELECT pg_notify($1, $2)', [OUTBOX_CHANNEL, lane]).catch((err: unknown) => {
      this.options.logger.warn({ err, lane }, 'outbox NOTIFY failed; the relay will poll');
    });
    const timer = setTimeout(() => {
      this.timers.delete(lane);
      if (this.owed.delete(lane)) this.notify(lane);
    }, this.options.intervalMs);
    timer.unref();
    this.timers.set(lane, timer);
  }
}
