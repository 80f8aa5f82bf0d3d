import { silentLogger } from '@single/logger';
import { describe, expect, it } from 'vitest';
import { createHttpApp } from './app.ts';
import { warmUpBeforeTraffic } from './warm-up.ts';

/** Blocks the event loop as a synchronous compile does (Prisma's query compiler on its first queries). */
function blockFor(ms: number) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

async function firstAnswerAfterReady(warm: (logger: ReturnType<typeof silentLogger>) => Promise<void>) {
  const logger = silentLogger();
  const http = createHttpApp({ logger });
  http.app.get('/ping', async () => ({ ok: true }));
  http.app.addHook('onReady', async () => warm(logger));
  try {
    await http.app.ready();
    return (await http.app.inject({ url: '/ping' })).statusCode;
  } finally {
    await http.app.close();
  }
}

describe('warmUpBeforeTraffic', () => {
  // A block spanning the overload guard's whole 1 s sample, then a request at once. The guard reads the sample's
  // MEAN delay, and a block is one sample of its whole length: every 10 ms tick before it (a loaded machine adds
  // some) dilutes it, so it must be long enough that (ticks x 10 ms + block) / (ticks + 1) stays over 1 s for a
  // few ticks (2.3 s read as 200 in CI once: three ticks before it).
  const longCompile = async () => {
    blockFor(4_500);
    await new Promise((resolve) => setTimeout(resolve, 20));
  };

  it('a warm-up that blocks the event loop for seconds, unguarded, gets the first request refused as overloaded', async () => {
    expect(await firstAnswerAfterReady(async () => longCompile())).toBe(503);
  }, 20_000);

  it('through warmUpBeforeTraffic the first request is served', async () => {
    expect(await firstAnswerAfterReady((logger) => warmUpBeforeTraffic(longCompile, logger))).toBe(200);
  }, 20_000);

  it('does not wait after a quick warm-up, and a failed one is logged, not thrown', async () => {
    const logger = silentLogger();
    const started = Date.now();
    await warmUpBeforeTraffic(async () => undefined, logger);
    await warmUpBeforeTraffic(async () => Promise.reject(new Error('database down')), logger);
    expect(Date.now() - started).toBeLessThan(500);
  });
});
