import { randomUUID } from 'node:crypto';
import type { Cache } from '@single/cache';
import type { Logger } from '@single/logger';

/**
 * Sales summaries of a release, cached in Redis. Each release has a version key; summaries are stored
 * under it, so invalidating a release (a new sales event) is one write however many summaries exist.
 * A cache outage only costs speed: every failure falls back to the database.
 */
export class SalesSummaryCache {
  readonly #cache: Cache;
  readonly #log: Logger;
  readonly #ttlMs: number;

  constructor(cache: Cache, logger: Logger, ttlMs: number) {
    this.#cache = cache;
    this.#log = logger;
    this.#ttlMs = ttlMs;
  }

  async getOrCompute<T>(
    releaseId: string,
    params: string,
    compute: () => Promise<T>,
  ): Promise<{ value: T; cached: boolean }> {
    if (this.#ttlMs === 0) return { value: await compute(), cached: false };
    let key: string | undefined;
    try {
      const version = (await this.#cache.get(versionKey(releaseId))) ?? 'initial';
      key = `sales:summary:${releaseId}:${version}:${params}`;
      const hit = await this.#cache.get(key);
      if (hit !== null) return { value: JSON.parse(hit) as T, cached: true };
    } catch (err) {
      this.#log.debug({ err }, 'sales summary cache unavailable');
      key = undefined;
    }
    const value = await compute();
    if (key) await this.#cache.set(key, JSON.stringify(value), this.#ttlMs).catch(() => undefined);
    return { value, cached: false };
  }

  /** Makes every cached summary of the release stale. */
  async invalidate(releaseId: string): Promise<void> {
    await this.#cache.set(versionKey(releaseId), randomUUID(), this.#ttlMs * 2 || undefined);
  }
}

const versionKey = (releaseId: string) => `sales:version:${releaseId}`;
