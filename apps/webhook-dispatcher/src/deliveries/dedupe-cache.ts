import type { Logger } from '@single/logger';

/** The slice of @single/cache the fast path needs. */
export interface KeyValueCache {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
}

export interface DedupeCache {
  /** True only if a claim under one of the keys is known committed; false when unsure. */
  anySeen(keys: readonly string[]): Promise<boolean>;
  remember(keys: readonly string[]): Promise<void>;
}

/** Shopify retries for 4 hours and redelivers late by a day: 72 h covers both with room to spare. */
export const CLAIM_TTL_MS = 72 * 3_600_000;

export function dedupeCache(
  cache: KeyValueCache,
  logger: Logger,
  options: { timeoutMs?: number; ttlMs?: number } = {},
): DedupeCache {
  const timeoutMs = options.timeoutMs ?? 50;
  const ttlMs = options.ttlMs ?? CLAIM_TTL_MS;
  let warned = false;
  const degrade = (err: unknown) => {
    // Redis is only the fast path: its failure costs a database round trip, never correctness.
    if (!warned) logger.warn({ err }, 'dedupe cache unavailable, PostgreSQL alone decides');
    warned = true;
    return false;
  };
  return {
    async anySeen(keys) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const lookup = Promise.all(keys.map((k) => cache.get(`claim:${k}`))).then((values) => {
        warned = false;
        return values.some((v) => v !== null);
      }, degrade);
      try {
        return await Promise.race([lookup, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async remember(keys) {
      await Promise.all(keys.map((k) => cache.set(`claim:${k}`, '1', ttlMs))).catch(degrade);
    },
  };
}
