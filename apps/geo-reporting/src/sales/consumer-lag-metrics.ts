import type { PartitionLag } from '@single/events';
import { type Registry, scrapeGauge, scrapeReader } from '@single/http';

/**
 * `geo_sales_consumer_lag{topic,group}`: sales.v1 events not yet handled by geo-reporting's consumer group,
 * summed over the partitions, read from Kafka at scrape time (cached a few seconds, with a deadline, so a
 * scrape storm or a silent broker costs one short admin call per window).
 */
export function registerConsumerLagMetric(
  registry: Registry,
  read: () => Promise<PartitionLag[]>,
  labels: { topic: string; group: string },
): void {
  const lag = scrapeReader(read, { source: 'kafka', registry, timeoutMs: 3_000 });
  scrapeGauge({
    name: 'geo_sales_consumer_lag',
    help: 'sales.v1 events after the consumer group committed offset, summed over the partitions',
    labelNames: ['topic', 'group'],
    registry,
    read: lag,
    values: (partitions) => [{ labels, value: partitions.reduce((sum, p) => sum + p.lag, 0) }],
  });
}
