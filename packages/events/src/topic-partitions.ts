import type { Logger } from '@single/logger';
import type { EventBus } from './port.ts';

export interface TopicPartitions {
  /** The topic's partition count as the broker reports it; undefined if it could not say in time. */
  partitions: number | undefined;
  /** The count asked for; more than `partitions` when the topic existed with fewer. */
  wanted: number;
}

/** How long the count may take: right after creation the broker answers "not the leader" until metadata spreads. */
const COUNT_DEADLINE_MS = 5_000;

/**
 * Creates `topic` with `partitions` partitions if it does not exist, and says how many it has. A topic that
 * exists with fewer is left as it is and a warning is logged: Kafka can add partitions, but that changes which
 * partition a key hashes to, so the events of an order in flight would be split over two partitions and could
 * be consumed out of order. Growing it is an operator's step with the producers stopped and the consumers
 * caught up (docs/RUNBOOK.md, "Growing sales.v1"), never a side effect of a start-up. Only the creation can
 * fail; the count is a check, logged when it cannot be made.
 */
export async function ensureTopicPartitions(
  bus: EventBus,
  topic: string,
  partitions: number,
  logger?: Logger,
): Promise<TopicPartitions> {
  await bus.ensureTopics([topic], partitions);
  const deadline = Date.now() + COUNT_DEADLINE_MS;
  for (;;) {
    try {
      const actual = (await bus.endOffsets(topic)).size;
      if (actual < partitions) {
        logger?.warn(
          { topic, partitions: actual, wanted: partitions, runbook: 'docs/RUNBOOK.md#growing-salesv1' },
          'topic has fewer partitions than configured; left as it is (growing it remaps keys), see the runbook',
        );
      }
      return { partitions: actual, wanted: partitions };
    } catch (err) {
      if (Date.now() > deadline) {
        logger?.warn({ err, topic, wanted: partitions }, 'partition count of the topic not checked');
        return { partitions: undefined, wanted: partitions };
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
