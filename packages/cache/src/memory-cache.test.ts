import { describe, expect, it } from 'vitest';
import { createMemoryCache, MemoryCacheStore } from './memory-cache.ts';

describe('memory cache with an injected clock', () => {
  it('expires claims and values exactly at their TTL', async () => {
    let now = 1_000;
    const cache = createMemoryCache({ store: new MemoryCacheStore(() => now) });
    expect(await cache.claim('delivery', 500)).toBe(true);
    await cache.set('v', 'x', 500);
    now += 499;
    expect(await cache.claim('delivery', 500)).toBe(false);
    expect(await cache.get('v')).toBe('x');
    now += 1;
    expect(await cache.claim('delivery', 500)).toBe(true);
    expect(await cache.get('v')).toBeNull();
  });

  it('shares one keyspace between instances of one store, separated by prefix', async () => {
    const store = new MemoryCacheStore();
    const a1 = createMemoryCache({ keyPrefix: 'a:', store });
    const a2 = createMemoryCache({ keyPrefix: 'a:', store });
    const b = createMemoryCache({ keyPrefix: 'b:', store });
    expect(await a1.claim('k', 10_000)).toBe(true);
    expect(await a2.claim('k', 10_000)).toBe(false);
    expect(await b.claim('k', 10_000)).toBe(true);
  });
});
