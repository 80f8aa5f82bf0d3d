import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '@single/db';
import type { Logger } from '@single/logger';

/** @single/http's overload guard (@fastify/under-pressure) judges the event loop by each 1 s sample's mean delay. */
const PRESSURE_SAMPLE_MS = 1_000;

/**
 * Warms the dispatcher's Prisma client before it takes traffic. The client's query compiler (WebAssembly) is
 * instantiated by the first query and compiles each new query shape synchronously: 0.25-1 s of blocked event loop
 * on the loaded two-core machine, tens of ms afterwards. Taken by an unknown shop's first delivery or the first
 * scrape, that stalls the claims behind it.
 *
 * A block that long also fills the overload guard's current sample: its mean then reads as overload and the guard
 * answers 503 `overloaded` for the next second. After a long block this waits for a clean sample.
 *
 * Best effort: PostgreSQL down or behind at start-up must not keep the dispatcher from starting (claims answer
 * 503 until it is back), so a failure is logged and the first use compiles instead.
 */
export async function warmDb(db: Db, logger: Logger): Promise<void> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  try {
    await db.$executeRaw`SELECT 1`;
    await db.shop.findUnique({ where: { domain: '' }, select: { id: true } });
    await db.dispatchOutbox.groupBy({ by: ['lane'], where: { lane: '' }, _count: { _all: true } });
  } catch (err) {
    logger.warn({ err }, 'Prisma warm-up failed; the first queries compile instead');
  } finally {
    delay.disable();
  }
  if (delay.max / 1e6 > PRESSURE_SAMPLE_MS / 2) await sleep(PRESSURE_SAMPLE_MS + 200);
}
