import type { Logger } from '@single/logger';
import { silentLogger } from '@single/logger';
import { Redis } from 'ioredis';
import { CacheUnavailableError } from './errors.ts';
import { type LockBackend, runWithLock } from './lock.ts';
import type { Cache } from './port.ts';
import { assertKey, assertTtl } from './validate.ts';

export interface RedisCacheOptions {
  url: string;
  /** Every key this instance touches starts with it (e.g. `webhooks:`); tests use one per test. */
  keyPrefix?: string;
  logger?: Logger;
  /** TCP connect (and the first readiness) bound. */
  connectTimeoutMs?: number;
  /** A command that gets no reply in time fails (a server that stopped answering). */
  commandTimeoutMs?: number;
  /** Longest pause between reconnect attempts; the client reconnects forever. */
  maxReconnectDelayMs?: number;
}

// Deletes the lock only while it still holds our token: a lock that expired and was taken by another
// owner stays theirs.
const RELEASE_IF_OWNER = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * The cache port on Redis (ioredis). Fails fast instead of queueing: no offline queue, one attempt per
 * command, a command timeout, so while Redis is away every call rejects with CacheUnavailableError at once
 * (at most connectTimeoutMs on first use, commandTimeoutMs for a silent server). The client reconnects by
 * itself in the background and calls succeed again as soon as it is back.
 */
export function createRedisCache(options: RedisCacheOptions): Cache {
  const prefix = options.keyPrefix ?? '';
  const log = (options.logger ?? silentLogger()).child({ component: 'cache' });
  const connectTimeoutMs = options.connectTimeoutMs ?? 1_000;
  const maxReconnectDelayMs = options.maxReconnectDelayMs ?? 1_000;
  const redis = new Redis(options.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: connectTimeoutMs,
    commandTimeout: options.commandTimeoutMs ?? 1_000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, maxReconnectDelayMs),
    // Commands issued in the same tick share one write and one round trip: under a webhook storm each
    // request's dedupe lookup would otherwise cost a syscall and a wake-up of its own.
    enableAutoPipelining: true,
  });

  let closed = false;
  let everReady = false;
  let outageLogged = false;
  redis.on('ready', () => {
    if (everReady && outageLogged) log.info('redis reachable again');
    everReady = true;
    outageLogged = false;
  });
  // One warning per outage; the reconnect attempts that follow go to debug.
  redis.on('error', (error: Error) => {
    if (outageLogged) log.debug({ err: error }, 'redis still unreachable');
    else log.warn({ err: error }, 'redis unreachable; calls fail fast until it is back');
    outageLogged = true;
  });
  const connecting = redis.connect().catch(() => undefined);

  // Waits only for the very first connection (bounded); after that a client that is not ready means an
  // outage, and the call fails at once.
  const isReady = () => redis.status === 'ready';
  async function ready(): Promise<void> {
    if (closed) throw new CacheUnavailableError('cache is closed');
    if (isReady()) return;
    if (!everReady) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([connecting, new Promise((resolve) => (timer = setTimeout(resolve, connectTimeoutMs)))]);
      clearTimeout(timer);
      if (isReady()) return;
    }
    throw new CacheUnavailableError(`redis is not connected (${redis.status})`);
  }

  async function call<T>(what: string, command: () => Promise<T>): Promise<T> {
    try {
      await ready();
      return await command();
    } catch (error) {
      if (error instanceof CacheUnavailableError) throw error;
      throw new CacheUnavailableError(`redis ${what} failed: ${(error as Error).message}`, { cause: error });
    }
  }

  const claimKey = (key: string) => `${prefix}claim:${assertKey(key)}`;
  const lockKey = (key: string) => `${prefix}lock:${assertKey(key)}`;
  const valueKey = (key: string) => `${prefix}value:${assertKey(key)}`;

  const locks: LockBackend = {
    acquire: (key, token, ttlMs) => call('lock', async () => (await redis.set(key, token, 'PX', ttlMs, 'NX')) === 'OK'),
    release: (key, token) => call('unlock', async () => void (await redis.eval(RELEASE_IF_OWNER, 1, key, token))),
    onReleaseError: (key, error) => log.warn({ err: error, key }, 'lock release failed; it expires by its TTL'),
  };

  return {
    async claim(key, ttlMs) {
      const k = claimKey(key);
      const ttl = assertTtl(ttlMs);
      return call('claim', async () => (await redis.set(k, '1', 'PX', ttl, 'NX')) === 'OK');
    },
    async release(key) {
      const k = claimKey(key);
      await call('release', () => redis.del(k));
    },
    async get(key) {
      const k = valueKey(key);
      return call('get', () => redis.get(k));
    },
    async set(key, value, ttlMs) {
      const k = valueKey(key);
      const ttl = ttlMs === undefined ? undefined : assertTtl(ttlMs);
      await call('set', () => (ttl === undefined ? redis.set(k, value) : redis.set(k, value, 'PX', ttl)));
    },
    async del(key) {
      const k = valueKey(key);
      return call('del', async () => (await redis.del(k)) > 0);
    },
    async withLock(key, ttlMs, fn, lockOptions) {
      return runWithLock(locks, lockKey(key), assertTtl(ttlMs), fn, lockOptions);
    },
    async health() {
      try {
        return (await call('ping', () => redis.ping())) === 'PONG';
      } catch {
        return false;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      if (isReady()) {
        await redis.quit().catch(() => redis.disconnect());
      } else {
        redis.disconnect();
      }
    },
  };
}
