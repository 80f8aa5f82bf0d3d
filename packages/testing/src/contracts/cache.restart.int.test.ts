import { CacheUnavailableError, createRedisCache } from '@single/cache';
import { afterAll, expect, it } from 'vitest';
import { createTestRedisPrefix, deleteRedisPrefix, redisServer, testRedisUrl } from '../redis.ts';
import { waitUntil } from './wait.ts';

// Stops and starts the shared Redis: runs alone (vitest project "restart"), after every other test.
const prefix = createTestRedisPrefix();
const cache = createRedisCache({ url: testRedisUrl(), keyPrefix: prefix });

afterAll(async () => {
  await redisServer('start');
  await cache.close();
  await deleteRedisPrefix(prefix);
});

it('fails fast while Redis is down and reconnects by itself once it is back', async () => {
  expect(await cache.claim('before', 60_000)).toBe(true);

  await redisServer('stop');
  for (const key of ['during-1', 'during-2']) {
    const started = performance.now();
    await expect(cache.claim(key, 60_000)).rejects.toBeInstanceOf(CacheUnavailableError);
    expect(performance.now() - started).toBeLessThan(100);
  }
  expect(await cache.health()).toBe(false);

  await redisServer('start');
  // The same instance, not rebuilt: it reconnects in the background (at most 1 s between attempts).
  await waitUntil(() => cache.health(), { timeoutMs: 10_000, intervalMs: 100, message: 'the cache to reconnect' });
  expect(await cache.claim('after', 60_000)).toBe(true);
  expect(await cache.claim('after', 60_000)).toBe(false);
});
