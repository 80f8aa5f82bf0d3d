import { SALES_TOPIC, SALES_TOPIC_PARTITIONS } from '@single/contracts';
import { type EventBus, ensureTopicPartitions, type Subscription } from '@single/events';
import type { Logger } from '@single/logger';
import type { SalesSummaryCache } from './summary-cache.ts';

export const SALES_CACHE_GROUP = 'artist-api.sales-cache';

/**
 * Invalidates a release's cached summaries when a sales event for it arrives. Geo-reporting updates the
 * roll-ups from the same event a moment later, so the release is invalidated again after `settleMs`:
 * a summary recomputed in between cannot outlive the roll-up change.
 */
export class SalesCacheInvalidator {
  readonly #events: EventBus;
  readonly #summaries: SalesSummaryCache;
  readonly #log: Logger;
  readonly #settleMs: number;
  readonly #partitions: number;
  readonly #timers = new Set<NodeJS.Timeout>();
  #subscription: Subscription | undefined;

  constructor(options: {
    events: EventBus;
    summaries: SalesSummaryCache;
    logger: Logger;
    settleMs?: number;
    groupId?: string;
    /** Partitions the topic is created with if missing (SALES_TOPIC_PARTITIONS). */
    partitions?: number;
  }) {
    this.#events = options.events;
    this.#summaries = options.summaries;
    this.#log = options.logger;
    this.#settleMs = options.settleMs ?? 5_000;
    this.#partitions = options.partitions ?? SALES_TOPIC_PARTITIONS;
    this.groupId = options.groupId ?? SALES_CACHE_GROUP;
  }

  readonly groupId: string;

  async start(): Promise<void> {
    // The producer (fulfillment worker) and geo-reporting create the topic with the same count, so that
    // whichever starts first, the topic comes out the same. An existing topic is left as it is (a warning if
    // it has fewer partitions: growing it is an operator's step).
    await ensureTopicPartitions(this.#events, SALES_TOPIC, this.#partitions, this.#log);
    this.#subscription = await this.#events.subscribe({
      topics: [SALES_TOPIC],
      groupId: this.groupId,
      fromBeginning: false,
      handler: async (event) => {
        const releaseId = releaseIdOf(event.value);
        if (!releaseId) return;
        await this.#invalidate(releaseId);
        const timer = setTimeout(() => {
          this.#timers.delete(timer);
          void this.#invalidate(releaseId);
        }, this.#settleMs);
        timer.unref();
        this.#timers.add(timer);
      },
    });
  }

  async #invalidate(releaseId: string) {
    // A cache outage must not stall the consumer: the TTL bounds staleness anyway.
    await this.#summaries
      .invalidate(releaseId)
      .catch((err: unknown) => this.#log.debug({ err }, 'sales cache invalidation failed'));
  }

  async stop(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await this.#subscription?.stop();
  }
}

function releaseIdOf(value: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(value.toString('utf8')) as { releaseId?: unknown };
    return typeof parsed.releaseId === 'string' && /^[0-9a-f-]{36}$/i.test(parsed.releaseId)
      ? parsed.releaseId
      : undefined;
  } catch {
    return undefined;
  }
}
