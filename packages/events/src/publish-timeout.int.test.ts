import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Producer, type ProducerConfig } from 'kafkajs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createKafkaEventBus } from './kafka-event-bus.ts';

// The real test broker (packages/testing's default; this package does not depend on it).
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((b) => b.trim());
const admin = () => new Kafka({ clientId: 'publish-timeout-test-admin', brokers, logLevel: logLevel.NOTHING }).admin();

/**
 * Storm finding (docs/RELIABILITY.md): a publish cut short by operationTimeoutMs while kafkajs still delivered
 * it made the sales relay publish the same rows again, so sales.v1 held event ids twice. A publish must settle
 * with its send's real outcome, so a caller that publishes again on rejection never does so while the first
 * send may still land.
 */
describe('kafka event bus: a send slower than operationTimeoutMs', () => {
  const topic = `test.${randomBytes(6).toString('hex')}`;
  afterEach(async () => {
    vi.restoreAllMocks();
    const a = admin();
    await a.connect();
    await a.deleteTopics({ topics: [topic], timeout: 5_000 }).catch(() => undefined);
    await a.disconnect();
  });

  it('settles with the send, so a caller that republishes on rejection writes the event once', async () => {
    const bus = createKafkaEventBus({ brokers, clientId: 'publish-timeout-test', operationTimeoutMs: 1_000 });
    try {
      await bus.ensureTopics([topic], 1);
      // The bus's real kafkajs producer, its first send's acknowledgement held back 1.5 s (the records are on
      // the wire, the broker is slow to answer): past the 1 s cap, and then delivered, as kafkajs did under the
      // storm. Later sends are not held back.
      const make = Kafka.prototype.producer;
      let held = 0;
      vi.spyOn(Kafka.prototype, 'producer').mockImplementation(function (this: Kafka, config?: ProducerConfig) {
        const producer: Producer = make.call(this, config);
        const send = producer.send.bind(producer);
        producer.send = async (record) => {
          const sent = send(record);
          if (held++ === 0) await sleep(1_500);
          return sent;
        };
        return producer;
      });

      // What the sales relay does: publish the rows; when that rejects, publish them again on the next round.
      const publish = () => bus.publish(topic, [{ key: 'order-1', value: JSON.stringify({ eventId: 'event-1' }) }]);
      await publish().catch(() => publish());
      await sleep(2_000); // a send still outstanding would land by now

      const a = admin();
      await a.connect();
      const offsets = await a.fetchTopicOffsets(topic);
      await a.disconnect();
      expect(offsets.reduce((n, o) => n + Number(o.high), 0)).toBe(1);
    } finally {
      await bus.close();
    }
  }, 30_000);
});
