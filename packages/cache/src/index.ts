export { CacheUnavailableError, LockBusyError } from './errors.ts';
export { createMemoryCache, type MemoryCacheOptions, MemoryCacheStore } from './memory-cache.ts';
export type { Cache, LockOptions } from './port.ts';
export { createRedisCache, type RedisCacheOptions } from './redis-cache.ts';
