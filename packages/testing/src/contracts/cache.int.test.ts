import { createMemoryCache, createRedisCache, MemoryCacheStore } from '@single/cache';
import { createTestRedisPrefix, deleteRedisPrefix, testRedisUrl } from '../redis.ts';
import { cacheContract } from './cache.contract.ts';

cacheContract('in-memory', async () => {
  const store = new MemoryCacheStore();
  const cache = createMemoryCache({ keyPrefix: 'a:', store });
  const neighbour = createMemoryCache({ keyPrefix: 'b:', store });
  return {
    cache,
    neighbour,
    async cleanup() {
      await Promise.all([cache.close(), neighbour.close()]);
    },
  };
});

cacheContract('redis', async () => {
  const prefixes = [createTestRedisPrefix(), createTestRedisPrefix()] as const;
  const cache = createRedisCache({ url: testRedisUrl(), keyPrefix: prefixes[0] });
  const neighbour = createRedisCache({ url: testRedisUrl(), keyPrefix: prefixes[1] });
  return {
    cache,
    neighbour,
    async cleanup() {
      await Promise.all([cache.close(), neighbour.close()]);
      await Promise.all(prefixes.map(deleteRedisPrefix));
    },
  };
});
