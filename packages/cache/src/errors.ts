/** The cache cannot answer (server away, silent, or the cache closed): use the slow path instead. */
export class CacheUnavailableError extends Error {
  override readonly name = 'CacheUnavailableError';
  readonly code = 'CACHE_UNAVAILABLE';
}

/** Another owner holds the lock. */
export class LockBusyError extends Error {
  override readonly name = 'LockBusyError';
  readonly code = 'LOCK_BUSY';
  readonly key: string;
  constructor(key: string) {
    super(`lock "${key}" is held by another owner`);
    this.key = key;
  }
}
