import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';

/**
 * Every message of `topic` as it stands now: the high watermark of each partition is taken first, then a new
 * consumer group reads from the beginning in batches up to it. Resolves with what was read by `timeoutMs` at the
 * latest (the caller compares the count with what it expected). For tests that judge a whole topic's content.
 */
export async function readTopicToEnd(brokers: string[], topic: string, timeoutMs: number): Promise<Buffer[]> {
  const kafka = new Kafka({ clientId: 'single-tests-reader', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, bigint>();
  try {
    for (const p of await admin.fetchTopicOffsets(topic))
      if (BigInt(p.high) > 0n) ends.set(p.partition, BigInt(p.high));
  } finally {
    await admin.disconnect();
  }
  const values: Buffer[] = [];
  if (ends.size === 0) return values;
  const consumer = kafka.consumer({ groupId: `single-tests-reader.${randomBytes(6).toString('hex')}` });
  const pending = new Set(ends.keys());
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const end = ends.get(batch.partition) ?? 0n;
        for (const message of batch.messages) {
          if (BigInt(message.offset) >= end) break;
          if (message.value) values.push(message.value);
        }
        const last = batch.messages.at(-1);
        if (last && BigInt(last.offset) + 1n >= end) pending.delete(batch.partition);
        if (pending.size === 0) finish();
      },
    });
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
  } finally {
    await consumer.disconnect();
  }
  return values;
}
