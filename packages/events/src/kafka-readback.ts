import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, RetryOptions } from 'kafkajs';
import { withDeadline } from './deadline.ts';
import { EventsUnavailableError } from './errors.ts';
import { toIncomingEvent } from './kafka-messages.ts';
import type { IncomingEvent } from './port.ts';

export interface ReadbackSettings {
  clientId: string;
  retry: RetryOptions;
  /** Bound on the whole read: join of the throwaway group, seeks and fetches. */
  timeoutMs: number;
}

/** Per partition, [low, high) watermarks: the first offset still kept and the next one to be written. */
export async function watermarks(admin: Admin, topic: string): Promise<Map<number, { low: bigint; high: bigint }>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]));
}

/**
 * Reads `topic` from `from` up to the high watermarks of now. kafkajs has no manual partition assignment,
 * so a consumer group of its own (never committing, deleted afterwards) seeks each partition to its start.
 * Starts below the log's first kept offset (retention) begin there instead: nothing older exists to find.
 */
export async function readFrom(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  from: ReadonlyMap<number, string>,
  settings: ReadbackSettings,
): Promise<IncomingEvent[]> {
  const ranges = new Map<number, { start: bigint; end: bigint }>();
  for (const [partition, { low, high }] of await watermarks(admin, topic)) {
    const asked = BigInt(from.get(partition) ?? '0');
    const start = asked > low ? asked : low;
    if (start < high) ranges.set(partition, { start, end: high });
  }
  if (ranges.size === 0) return [];

  const groupId = `${settings.clientId}.readback.${randomUUID()}`;
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 200,
    retry: settings.retry,
  });
  const read: IncomingEvent[] = [];
  const pending = new Set(ranges.keys());
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  try {
    await withDeadline(
      (async () => {
        await consumer.connect();
        // Latest, not earliest: a fetch made before the seeks apply reads nothing rather than the whole log.
        await consumer.subscribe({ topics: [topic], fromBeginning: false });
        await consumer.run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const range = ranges.get(partition);
            const offset = BigInt(message.offset);
            if (!range || offset < range.start || offset >= range.end) return;
            read.push(toIncomingEvent(topic, partition, message));
            if (offset === range.end - 1n) {
              pending.delete(partition);
              if (pending.size === 0) finish();
            }
          },
        });
        for (const [partition, { start }] of ranges) consumer.seek({ topic, partition, offset: start.toString() });
        await done;
      })(),
      settings.timeoutMs,
      () => new EventsUnavailableError(`kafka: read back ${topic} timed out after ${settings.timeoutMs} ms`),
    );
  } catch (error) {
    if (error instanceof EventsUnavailableError) throw error;
    throw new EventsUnavailableError(`kafka: read back ${topic} failed: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
  return read.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}
