import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@single/logger';

/** The overload guard of createHttpApp (@fastify/under-pressure) judges the loop by each 1 s sample's mean delay. */
const PRESSURE_SAMPLE_MS = 1_000;

/**
 * Runs `work` (a client's warm-up: Prisma's first queries instantiate its query compiler and block the event loop
 * for up to a second or two on a loaded machine) before an app takes traffic, e.g. from an `onReady` hook.
 *
 * A block that long fills the overload guard's current sample, whose mean then reads as overload: the guard would
 * answer the first requests 503 `overloaded` for the next second. After a block over half a sample this waits for
 * a clean one. Best effort: a failed warm-up is logged, not thrown (a database down at start-up must not keep the
 * app from starting; the first use then pays the compile).
 */
export async function warmUpBeforeTraffic(work: () => Promise<unknown>, logger: Logger): Promise<void> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  try {
    await work();
  } catch (err) {
    logger.warn({ err }, 'warm-up failed; the first requests pay for it instead');
  } finally {
    delay.disable();
  }
  if (delay.max / 1e6 > PRESSURE_SAMPLE_MS / 2) await sleep(PRESSURE_SAMPLE_MS + 200);
}
