export interface LockOptions {
  /** How long to keep trying when another owner holds the lock; 0 (the default) fails at once. */
  waitMs?: number;
  /** Pause between attempts while waiting. */
  retryDelayMs?: number;
}

/**
 * The cache port (Redis in production, in memory for the zero-setup demo). A fast path only: callers keep
 * the real guarantee elsewhere (a unique row in Postgres) and fall back to it when a method rejects with
 * CacheUnavailableError, which every method does quickly instead of waiting for a server that is away.
 * Keys live under the instance's key prefix.
 */
export interface Cache {
  /** Takes the key for ttlMs if nobody holds it (SET NX PX): true for the first caller only. */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Gives a claim up before its TTL, e.g. when the claimed work failed and may be retried. */
  release(key: string): Promise<void>;
  get(key: string): Promise<string | null>;
  /** Stores the value, for ttlMs if given (otherwise until deleted). */
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** True when the key existed. */
  del(key: string): Promise<boolean>;
  /**
   * Runs fn while holding a short lock on key. The lock carries an owner token and is released only if
   * this caller still owns it, so a lock that expired (fn outlived ttlMs) and was taken by another owner
   * is left alone. Rejects with LockBusyError when the lock cannot be had within options.waitMs.
   */
  withLock<T>(key: string, ttlMs: number, fn: () => Promise<T>, options?: LockOptions): Promise<T>;
  /** True when the server answers in time; never rejects (fits a readiness check). */
  health(): Promise<boolean>;
  /** Disconnects; later calls reject with CacheUnavailableError. Idempotent. */
  close(): Promise<void>;
}
