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
 * What to read per partition. A topic that does not exist holds nothing (an attempt recorded for a topic since
 * deleted or renamed). A start below the log's first kept offset begins there: what retention deleted cannot be
 * read back, so an outcome older than the topic's retention reads as not landed (ARCHITECTURE.md says so).
 */
async function readRanges(admin: Admin, topic: string, from: ReadonlyMap<number, string>) {
  const ranges = new Map<number, { start: bigint; end: bigint }>();
  if (!(await admin.listTopics()).includes(topic)) return ranges;
  for (const [partition, { low, high }] of await watermarks(admin, topic)) {
    const asked = BigInt(from.get(partition) ?? '0');
    const start = asked > low ? asked : low;
    if (start < high) ranges.set(partition, { start, end: high });
  }
  return ranges;
}

/**
 * Reads `topic` from `from` up to the high watermarks of now. kafkajs has no manual partition assignment,
 * so a consumer group of its own (never committing, deleted afterwards) seeks each partition to its start.
 */
export async function readFrom(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  from: ReadonlyMap<number, string>,
  settings: ReadbackSettings,
): Promise<IncomingEvent[]> {
  const ranges = await withDeadline(
    readRanges(admin, topic, from),
    settings.timeoutMs,
    () => new EventsUnavailableError(`kafka: offsets of ${topic} timed out after ${settings.timeoutMs} ms`),
  ).catch((error: unknown) => {
    if (error instanceof EventsUnavailableError) throw error;
    throw new EventsUnavailableError(`kafka: offsets of ${topic} failed: ${(error as Error).message}`, {
      cause: error,
    });
  });
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
