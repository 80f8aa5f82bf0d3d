import { CacheUnavailableError } from './errors.ts';
import { type LockBackend, runWithLock } from './lock.ts';
import type { Cache } from './port.ts';
import { assertKey, assertTtl } from './validate.ts';

interface Entry {
  value: string;
  expiresAt: number;
}

/** The keyspace of in-memory caches; share one between instances to mimic one Redis. */
export class MemoryCacheStore {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  get(key: string): string | null {
    const entry = this.#entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return null;
    }
    return entry.value;
  }

  set(key: string, value: string, ttlMs: number | undefined, onlyIfAbsent = false): boolean {
    if (onlyIfAbsent && this.get(key) !== null) return false;
    this.#entries.set(key, { value, expiresAt: ttlMs === undefined ? Number.POSITIVE_INFINITY : this.#now() + ttlMs });
    return true;
  }

  del(key: string): boolean {
    const existed = this.get(key) !== null;
    this.#entries.delete(key);
    return existed;
  }
}

export interface MemoryCacheOptions {
  keyPrefix?: string;
  store?: MemoryCacheStore;
}

/** The cache port in memory: same semantics as Redis (NX claims, TTL expiry, owner-checked locks). */
export function createMemoryCache(options: MemoryCacheOptions = {}): Cache {
  const prefix = options.keyPrefix ?? '';
  const store = options.store ?? new MemoryCacheStore();
  let closed = false;

  const open = () => {
    if (closed) throw new CacheUnavailableError('cache is closed');
  };
  const claimKey = (key: string) => `${prefix}claim:${assertKey(key)}`;
  const lockKey = (key: string) => `${prefix}lock:${assertKey(key)}`;
  const valueKey = (key: string) => `${prefix}value:${assertKey(key)}`;

  const locks: LockBackend = {
    acquire: async (key, token, ttlMs) => {
      open();
      return store.set(key, token, ttlMs, true);
    },
    release: async (key, token) => {
      if (store.get(key) === token) store.del(key);
    },
    onReleaseError: () => undefined,
  };

  return {
    async claim(key, ttlMs) {
      const ttl = assertTtl(ttlMs);
      open();
      return store.set(claimKey(key), '1', ttl, true);
    },
    async release(key) {
      open();
      store.del(claimKey(key));
    },
    async get(key) {
      open();
      return store.get(valueKey(key));
    },
    async set(key, value, ttlMs) {
      const ttl = ttlMs === undefined ? undefined : assertTtl(ttlMs);
      open();
      store.set(valueKey(key), value, ttl);
    },
    async del(key) {
      open();
      return store.del(valueKey(key));
    },
    async withLock(key, ttlMs, fn, lockOptions) {
      return runWithLock(locks, lockKey(key), assertTtl(ttlMs), fn, lockOptions);
    },
    async health() {
      return !closed;
    },
    async close() {
      closed = true;
    },
  };
}
