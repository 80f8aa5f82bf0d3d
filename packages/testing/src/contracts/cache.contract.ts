import { type Cache, CacheUnavailableError, LockBusyError } from '@single/cache';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

export interface CacheHarness {
  cache: Cache;
  /** Another instance on the same backend with a different key prefix. */
  neighbour: Cache;
  /** Closes both instances and removes what the test stored. */
  cleanup(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A promise with its resolve handle, to hold a lock until the test lets go. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/** The behaviour every cache adapter (Redis, in-memory) must have. TTLs are real and short. */
export function cacheContract(name: string, makeHarness: () => Promise<CacheHarness>) {
  describe(`cache contract: ${name}`, () => {
    let h: CacheHarness;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.cleanup();
    });

    it('grants a claim to the first caller only, until it is released', async () => {
      expect(await h.cache.claim('delivery-1', 60_000)).toBe(true);
      expect(await h.cache.claim('delivery-1', 60_000)).toBe(false);
      expect(await h.cache.claim('delivery-2', 60_000)).toBe(true);
      await h.cache.release('delivery-1');
      expect(await h.cache.claim('delivery-1', 60_000)).toBe(true);
    });

    it('gives exactly one of many concurrent claimants the key', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, () => h.cache.claim('race', 60_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('lets a claim lapse after its TTL', async () => {
      expect(await h.cache.claim('short', 80)).toBe(true);
      expect(await h.cache.claim('short', 80)).toBe(false);
      await sleep(150);
      expect(await h.cache.claim('short', 80)).toBe(true);
    });

    it('stores, overwrites, expires and deletes values', async () => {
      expect(await h.cache.get('missing')).toBeNull();
      await h.cache.set('kept', 'one');
      await h.cache.set('kept', 'two');
      await h.cache.set('fleeting', 'soon gone', 80);
      expect(await h.cache.get('kept')).toBe('two');
      expect(await h.cache.get('fleeting')).toBe('soon gone');
      await sleep(150);
      expect(await h.cache.get('fleeting')).toBeNull();
      expect(await h.cache.get('kept')).toBe('two');
      expect(await h.cache.del('kept')).toBe(true);
      expect(await h.cache.del('kept')).toBe(false);
      expect(await h.cache.get('kept')).toBeNull();
    });

    it('keeps claims, locks and values apart, and instances with other prefixes apart', async () => {
      expect(await h.cache.claim('shared-name', 60_000)).toBe(true);
      await h.cache.set('shared-name', 'a value');
      expect(await h.cache.withLock('shared-name', 1_000, async () => 'locked')).toBe('locked');
      expect(await h.neighbour.claim('shared-name', 60_000)).toBe(true);
      expect(await h.neighbour.get('shared-name')).toBeNull();
      expect(await h.cache.get('shared-name')).toBe('a value');
    });

    it('rejects invalid TTLs as caller errors', async () => {
      await expect(h.cache.claim('k', 0)).rejects.toBeInstanceOf(RangeError);
      await expect(h.cache.set('k', 'v', -5)).rejects.toBeInstanceOf(RangeError);
      await expect(h.cache.claim('', 1_000)).rejects.toBeInstanceOf(TypeError);
    });

    it('runs fn under a lock, refuses a second holder meanwhile, and frees the lock afterwards', async () => {
      const held = gate();
      const entered = gate();
      const first = h.cache.withLock('job', 5_000, async () => {
        entered.open();
        await held.opened;
        return 'first done';
      });
      await entered.opened;
      await expect(h.cache.withLock('job', 5_000, async () => 'second')).rejects.toBeInstanceOf(LockBusyError);
      held.open();
      expect(await first).toBe('first done');
      expect(await h.cache.withLock('job', 5_000, async () => 'third')).toBe('third');
    });

    it('frees the lock when fn throws, and passes the error on', async () => {
      const boom = new Error('boom');
      await expect(
        h.cache.withLock('failing', 5_000, async () => {
          throw boom;
        }),
      ).rejects.toBe(boom);
      expect(await h.cache.withLock('failing', 5_000, async () => 'free again')).toBe('free again');
    });

    it('waits up to waitMs for a busy lock', async () => {
      const order: string[] = [];
      const first = h.cache.withLock('queue', 5_000, async () => {
        order.push('first start');
        await sleep(100);
        order.push('first end');
      });
      await sleep(20);
      await h.cache.withLock('queue', 5_000, async () => order.push('second'), { waitMs: 2_000, retryDelayMs: 10 });
      await first;
      expect(order).toEqual(['first start', 'first end', 'second']);
    });

    it('never releases a lock that expired and now belongs to someone else', async () => {
      const slowDone = gate();
      // The slow owner outlives its 60 ms lock...
      const slow = h.cache.withLock('lease', 60, async () => {
        await slowDone.opened;
      });
      await sleep(120);
      // ...so a new owner takes it, and still holds it when the slow owner finishes and "releases".
      const newOwnerDone = gate();
      const newOwnerIn = gate();
      const newOwner = h.cache.withLock('lease', 10_000, async () => {
        newOwnerIn.open();
        await newOwnerDone.opened;
      });
      await newOwnerIn.opened;
      slowDone.open();
      await slow;
      await expect(h.cache.withLock('lease', 10_000, async () => 'intruder')).rejects.toBeInstanceOf(LockBusyError);
      newOwnerDone.open();
      await newOwner;
    });

    it('is healthy while open; after close it is unhealthy and calls reject as unavailable', async () => {
      expect(await h.cache.health()).toBe(true);
      await h.cache.close();
      await h.cache.close();
      expect(await h.cache.health()).toBe(false);
      await expect(h.cache.claim('k', 1_000)).rejects.toBeInstanceOf(CacheUnavailableError);
      await expect(h.cache.get('k')).rejects.toBeInstanceOf(CacheUnavailableError);
    });
  });
}
