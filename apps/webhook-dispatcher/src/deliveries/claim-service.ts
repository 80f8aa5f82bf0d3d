import { MicroBatcher } from '@single/db/micro-batcher';
import type { Logger } from '@single/logger';
import type { Lane } from '../shopify/topics.ts';
import type { DedupeCache } from './dedupe-cache.ts';
import type { ClaimResult, DeliveryRepository, NewDelivery } from './delivery.repository.ts';
import { dedupeKeys, shopScopedKeys } from './delivery.repository.ts';

/**
 * Claims deliveries exactly once. Redis only remembers claims already committed to PostgreSQL, so a
 * Redis hit is always a true duplicate and a Redis outage or eviction only costs a database round trip:
 * the unique rows in PostgreSQL are the guard.
 */
export class ClaimService {
  private readonly batcher: MicroBatcher<NewDelivery, ClaimResult>;
  private readonly cache: DedupeCache;
  private readonly logger: Logger;

  private readonly onClaimed: (lanes: Set<Lane>) => void;

  /** `onClaimed` learns the lanes of each committed batch that queued something (to wake the relay). */
  constructor(
    repository: DeliveryRepository,
    cache: DedupeCache,
    logger: Logger,
    onClaimed: (lanes: Set<Lane>) => void = () => {},
  ) {
    this.cache = cache;
    this.logger = logger;
    this.onClaimed = onClaimed;
    this.batcher = new MicroBatcher((items) => this.claimDistinct(repository, items), { concurrency: 4 });
  }

  async claim(delivery: NewDelivery): Promise<ClaimResult> {
    const keys = dedupeKeys(delivery);
    if (await this.cache.anySeen(keys)) return { status: 'duplicate' };
    const result = await this.batcher.submit(delivery);
    // Remember the claim (or the duplicate) for the fast path; losing this write is harmless. A refused
    // delivery (unknown shop) claimed nothing, and its keys must stay free.
    if (result.status !== 'unknown_shop') void this.cache.remember(keys);
    return result;
  }

  drained(): Promise<void> {
    return this.batcher.drained();
  }

  // Within one batch the same delivery may appear twice (Shopify retried while we were busy): only the
  // first of each shop-scoped key goes to the database, the rest are duplicates of it. The body key is left
  // to the database: the first item with that body may be refused (unknown shop), and then the next one
  // with a connected shop is the delivery (the statement's unique key decides, in batch order).
  private async claimDistinct(repository: DeliveryRepository, items: NewDelivery[]): Promise<ClaimResult[]> {
    const taken = new Set<string>();
    const firstIndex: number[] = [];
    const distinct: NewDelivery[] = [];
    for (const item of items) {
      const keys = shopScopedKeys(dedupeKeys(item));
      if (keys.some((k) => taken.has(k))) {
        firstIndex.push(-1);
        continue;
      }
      for (const k of keys) taken.add(k);
      firstIndex.push(distinct.length);
      distinct.push(item);
    }
    const results = await repository.claimBatch(distinct);
    const lanes = new Set(distinct.filter((_, i) => results[i]?.status === 'accepted').map((d) => d.lane));
    if (lanes.size > 0) this.onClaimed(lanes);
    if (distinct.length > 1) this.logger.debug({ batch: distinct.length }, 'claimed batch');
    return firstIndex.map((i) => (i < 0 ? { status: 'duplicate' } : (results[i] as ClaimResult)));
  }
}
