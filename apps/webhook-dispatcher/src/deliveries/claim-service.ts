import { MicroBatcher, MicroBatcherFullError } from '@single/db/micro-batcher';
import type { Logger } from '@single/logger';
import type { Lane } from '../shopify/topics.ts';
import type { DedupeCache } from './dedupe-cache.ts';
import type { ClaimResult, DeliveryRepository, NewDelivery } from './delivery.repository.ts';
import { dedupeKeys, shopScopedKeys } from './delivery.repository.ts';

/** The claim's request is answered 503 by now (its deadline passed): it was not written, and never will be. */
export class ClaimDeadlineError extends Error {
  override readonly name = 'ClaimDeadlineError';
  readonly code = 'CLAIM_DEADLINE';
}

export { MicroBatcherFullError as ClaimQueueFullError };

export interface ClaimServiceOptions {
  /** Claims waiting for a flush slot at most; past it a claim is refused at once (ClaimQueueFullError). */
  maxQueued?: number;
  /**
   * A claim with less time than this left when its batch starts is not written: the statement gets at most
   * the time its most pressed claim has left, and one nearly expired claim would cut every other one short.
   */
  minRemainingMs?: number;
}

type Pending = NewDelivery & { deadlineAt: number };
type Outcome = ClaimResult | { status: 'expired' };

/**
 * Claims deliveries exactly once. Redis only remembers claims already committed to PostgreSQL, so a
 * Redis hit is always a true duplicate and a Redis outage or eviction only costs a database round trip:
 * the unique rows in PostgreSQL are the guard.
 */
export class ClaimService {
  private readonly batcher: MicroBatcher<Pending, Outcome>;
  private readonly minRemainingMs: number;
  private readonly cache: DedupeCache;
  private readonly logger: Logger;

  private readonly onClaimed: (lanes: Set<Lane>) => void;

  /** `onClaimed` learns the lanes of each committed batch that queued something (to wake the relay). */
  constructor(
    repository: DeliveryRepository,
    cache: DedupeCache,
    logger: Logger,
    onClaimed: (lanes: Set<Lane>) => void = () => {},
    options: ClaimServiceOptions = {},
  ) {
    this.cache = cache;
    this.logger = logger;
    this.onClaimed = onClaimed;
    this.minRemainingMs = options.minRemainingMs ?? 50;
    this.batcher = new MicroBatcher((items) => this.claimDistinct(repository, items), {
      concurrency: 4,
      ...(options.maxQueued === undefined ? {} : { maxQueued: options.maxQueued }),
    });
  }

  /**
   * Claims the delivery, durably, by `deadlineAt` (epoch ms) or not at all: a claim still queued then leaves
   * the queue, and the statement of a batch in flight is cancelled by PostgreSQL when its most pressed claim's
   * time is up (statement_timeout), so a claim whose request was answered 503 is never written afterwards.
   * Rejects with ClaimDeadlineError, ClaimQueueFullError, or the database's error.
   */
  async claim(delivery: NewDelivery, deadlineAt = Date.now() + 3_000): Promise<ClaimResult> {
    const keys = dedupeKeys(delivery);
    if (await this.cache.anySeen(keys)) return { status: 'duplicate' };
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new ClaimDeadlineError('claim deadline passed while queued')),
      Math.max(0, deadlineAt - Date.now()),
    );
    let outcome: Outcome;
    try {
      outcome = await this.batcher.submit({ ...delivery, deadlineAt }, { signal: controller.signal });
    } finally {
      clearTimeout(timer);
    }
    if (outcome.status === 'expired') throw new ClaimDeadlineError('claim deadline too close to be written');
    const result = outcome;
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
  private async claimDistinct(repository: DeliveryRepository, items: Pending[]): Promise<Outcome[]> {
    const taken = new Set<string>();
    const firstIndex: number[] = [];
    const distinct: Pending[] = [];
    const now = Date.now();
    for (const item of items) {
      if (item.deadlineAt - now < this.minRemainingMs) {
        firstIndex.push(-2);
        continue;
      }
      const keys = shopScopedKeys(dedupeKeys(item));
      if (keys.some((k) => taken.has(k))) {
        firstIndex.push(-1);
        continue;
      }
      for (const k of keys) taken.add(k);
      firstIndex.push(distinct.length);
      distinct.push(item);
    }
    if (distinct.length === 0) return firstIndex.map(() => ({ status: 'expired' }));
    // Cancelled by PostgreSQL once the most pressed claim's time is up (measured again after this point in the
    // repository, which also waits for a connection): nothing of the batch is written then, all of it 503s.
    const statementDeadlineAt = Math.min(...distinct.map((d) => d.deadlineAt));
    const results = await repository.claimBatch(distinct, statementDeadlineAt);
    const lanes = new Set(distinct.filter((_, i) => results[i]?.status === 'accepted').map((d) => d.lane));
    if (lanes.size > 0) this.onClaimed(lanes);
    if (distinct.length > 1) this.logger.debug({ batch: distinct.length }, 'claimed batch');
    return firstIndex.map((i) =>
      i === -2 ? { status: 'expired' } : i < 0 ? { status: 'duplicate' } : (results[i] as ClaimResult),
    );
  }
}
