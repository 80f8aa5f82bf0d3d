import { type Admin, Kafka, type KafkaConfig, logLevel } from 'kafkajs';

const RETRY = { retries: 3, initialRetryTime: 100, maxRetryTime: 500 };

export interface ConsumerLagOptions {
  brokers: string[];
  clientId: string;
  groupId: string;
  topic: string;
  /** TLS and SASL settings, as the event bus uses them. */
  kafka?: Pick<KafkaConfig, 'ssl' | 'sasl'>;
  /** Connection and request deadline; kafkajs's defaults let a silent broker hold a call 30-40 s. */
  timeoutMs?: number;
}

export interface PartitionLag {
  partition: number;
  /** Messages after the group's committed offset (from the earliest kept one when it committed none). */
  lag: number;
}

export interface ConsumerLagReader {
  read(): Promise<PartitionLag[]>;
  close(): Promise<void>;
}

/**
 * A consumer group's lag on one topic, from the broker's offsets alone (admin `fetchOffsets` against
 * `fetchTopicOffsets`): nothing joins the group, so reading it never triggers a rebalance. Its own admin
 * client with short deadlines and no retries; a failed read drops the connection and the next reconnects.
 */
export function createConsumerLagReader(options: ConsumerLagOptions): ConsumerLagReader {
  const timeout = options.timeoutMs ?? 2_000;
  const kafka = new Kafka({
    brokers: options.brokers,
    clientId: options.clientId,
    connectionTimeout: timeout,
    requestTimeout: timeout,
    // A few quick retries: a group's coordinator is looked up on first use and may need one. The scrape's
    // own deadline (scrapeReader) bounds the whole read anyway.
    retry: RETRY,
    logLevel: logLevel.NOTHING, // failures are counted by the metrics reader (metrics_source_errors_total)
    ...options.kafka,
  });
  let admin: Promise<Admin> | undefined;
  const connected = () => {
    admin ??= (async () => {
      const a = kafka.admin({ retry: RETRY });
      await a.connect();
      return a;
    })();
    return admin;
  };
  const drop = async () => {
    const current = admin;
    admin = undefined;
    await current?.then((a) => a.disconnect()).catch(() => undefined);
  };
  return {
    async read() {
      try {
        const a = await connected();
        const [ends, committed] = await Promise.all([
          a.fetchTopicOffsets(options.topic),
          a.fetchOffsets({ groupId: options.groupId, topics: [options.topic] }),
        ]);
        const done = new Map(
          (committed.find((t) => t.topic === options.topic)?.partitions ?? []).map((p) => [
            p.partition,
            Number(p.offset),
          ]),
        );
        return ends.map((end) => {
          const high = Number(end.high);
          const from = Math.max(done.get(end.partition) ?? -1, Number(end.low));
          return { partition: end.partition, lag: Math.max(0, high - from) };
        });
      } catch (err) {
        await drop();
        throw err;
      }
    },
    close: drop,
  };
}
