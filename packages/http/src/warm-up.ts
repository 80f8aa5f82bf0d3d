import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@single/logger';

/** The overload guard of createHttpApp (@fastify/under-pressure) judges the loop by each 1 s sample's mean delay. */
const PRESSURE_SAMPLE_MS = 1_000;

/**
 * Runs `work` (a client's warm-up: Prisma's first queries instantiate its query compiler and block the event loop
 * for up to a second or two on a loaded machine) before an app takes traffic, e.g. from an `onReady` hook.
 *
 * A block that long fills the overload guard's current sample, whose mean then reads as overload: the guard would
 * answer the first requests 503 `overloaded` for the next second. After more than half a sample of busy time this
 * waits for a clean one. Best effort: a failed warm-up is logged, not thrown (a database down at start-up must not
 * keep the app from starting; the first use then pays the compile).
 */
export async function warmUpBeforeTraffic(work: () => Promise<unknown>, logger: Logger): Promise<void> {
  // Busy time, not the loop-delay histogram: a histogram records nothing for a block that starts before its
  // first tick (work that compiles synchronously as soon as it is called), and busy time bounds any one block.
  const before = performance.eventLoopUtilization();
  try {
    await work();
  } catch (err) {
    logger.warn({ err }, 'warm-up failed; the first requests pay for it instead');
  }
  if (performance.eventLoopUtilization(before).active > PRESSURE_SAMPLE_MS / 2) await sleep(PRESSURE_SAMPLE_MS + 200);
}
