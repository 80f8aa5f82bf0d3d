/** TTLs are whole milliseconds above zero; anything else is a caller bug, not a cache outage. */
export function assertTtl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`ttlMs must be a positive number, got ${ttlMs}`);
  return Math.ceil(ttlMs);
}

export function assertKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) throw new TypeError('cache key must be a non-empty string');
  return key;
}
