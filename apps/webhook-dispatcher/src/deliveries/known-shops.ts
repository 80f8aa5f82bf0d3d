import type { Db } from '@single/db';

/** Whether a shop was ever connected to the platform (it has a row in `shop`, whatever its install state). */
export interface KnownShops {
  isKnown(domain: string): Promise<boolean>;
}

export interface KnownShopsOptions {
  /** How long a known shop is trusted without asking PostgreSQL again. */
  knownTtlMs?: number;
  /** Known shops kept at most (a bound, not a working set: shops are few). */
  maxEntries?: number;
  now?: () => number;
}

/**
 * The shop check in front of every claim, without a database round trip per request: answers are kept in
 * process, briefly. Only known shops are kept: shop rows are never deleted (uninstall and redaction change
 * their state), so a "known" answer does not go stale, and the claim statement checks the row again in the
 * same transaction as the insert (delivery.repository.ts), so the database stays the guard. Unknown shops are
 * not kept: a shop connected a moment ago is taken at once, and an unknown domain only reaches this check
 * with a valid signature (a replayed body), for one indexed read. Concurrent misses share one query.
 */
export function knownShops(db: Db, options: KnownShopsOptions = {}): KnownShops {
  const knownTtlMs = options.knownTtlMs ?? 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const known = new Map<string, number>();
  const pending = new Map<string, Promise<boolean>>();

  const lookup = async (domain: string): Promise<boolean> => {
    const shop = await db.shop.findUnique({ where: { domain }, select: { id: true } });
    if (!shop) return false;
    // Oldest first when full (a Map keeps insertion order).
    if (known.size >= maxEntries) known.delete(known.keys().next().value as string);
    known.delete(domain);
    known.set(domain, now() + knownTtlMs);
    return true;
  };

  return {
    isKnown(domain) {
      const until = known.get(domain);
      if (until !== undefined && until > now()) return Promise.resolve(true);
      let inFlight = pending.get(domain);
      if (!inFlight) {
        inFlight = lookup(domain).finally(() => pending.delete(domain));
        pending.set(domain, inFlight);
      }
      return inFlight;
    },
  };
}
