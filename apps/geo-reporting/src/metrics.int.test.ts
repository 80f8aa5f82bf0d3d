import { randomUUID } from 'node:crypto';
import { loadConfig } from '@single/config';
import { createKafkaEventBus, type EventBus } from '@single/events';
import type { RunningServer } from '@single/http';
import { silentLogger } from '@single/logger';
import { createKafkaTestContext, createTestDatabase, type TestDatabase } from '@single/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { geoReportingEnv } from './config.ts';
import { createRuntime, type GeoReportingRuntime } from './runtime.ts';
import { geoipFixture } from './test-support/fixtures.ts';

/** The value of one series in the Prometheus text, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function eventually(check: () => Promise<void>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

// Issue 18: geo-reporting's consumer lag on GET /metrics, from the broker's offsets, on real PostgreSQL and Kafka.
describe('GET /metrics on geo-reporting', () => {
  const kafka = createKafkaTestContext();
  const topic = kafka.topic();
  const group = kafka.groupId();
  const TOKEN = 'geo-metrics-test-service-token-0123456789ab';
  let database: TestDatabase;
  let runtime: GeoReportingRuntime;
  let server: RunningServer | undefined;
  let producer: EventBus;

  beforeAll(async () => {
    database = await createTestDatabase();
    const config = loadConfig(geoReportingEnv, {
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: database.url,
      KAFKA_BROKERS: kafka.brokers.join(','),
      TRUSTED_PROXIES: '127.0.0.1/32',
      GEOIP_DB_PATHS: geoipFixture('GeoIP2-City-Test'),
      GEOIP_RELOAD_INTERVAL_MS: '0',
      SALES_TOPIC: topic,
      SALES_CONSUMER_GROUP: group,
      LOG_LEVEL: 'silent',
      GEO_REPORTS_TOKENS: TOKEN,
    });
    runtime = createRuntime(config, { logger: silentLogger() });
    producer = createKafkaEventBus({ brokers: kafka.brokers, clientId: 'geo-metrics-test-producer' });
    await producer.ensureTopics([topic], 2);
  });

  afterAll(async () => {
    await server?.shutdown();
    await producer?.close();
    await database?.drop();
    await kafka.cleanup();
  });

  const scrape = async () => {
    const response = await runtime.app.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    return response.body;
  };
  const lagSeries = () => `geo_sales_consumer_lag{topic="${topic}",group="${group}"}`;
  /** A scrape as Prometheus 3 asks for it: OpenMetrics first (@single/http's metricsRoute negotiates). */
  const scrapeOpenMetrics = async () => {
    const response = await runtime.app.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        accept:
          'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.2',
      },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    return response.body;
  };

  it('shows the consumer lag grow while the group is not consuming, and fall to 0 once it is', async () => {
    // The consumer has not joined yet (start() joins it): what is published waits.
    await eventually(async () => expect(sample(await scrape(), lagSeries())).toBe(0));
    const events = Array.from({ length: 5 }, (_, i) => ({
      key: `order-${i}`,
      value: JSON.stringify({ version: 1, eventId: randomUUID(), type: 'nonsense' }),
    }));
    await producer.publish(topic, events);
    await eventually(async () => {
      const text = await scrape();
      expect(sample(text, lagSeries())).toBe(5);
      expect(text).toContain('# TYPE geo_captures_total counter');
      expect(text).toContain('process_resident_memory_bytes');
      expect(text).toMatch(/http_responses_total\{method="GET",route="\/metrics",status_code="200"\} \d+/);
    });
    // The same registry in OpenMetrics: the lag, the integrity gauges set from the window, counters as families
    // without _total and samples with it, # EOF last; the text format after it unchanged.
    const open = await scrapeOpenMetrics();
    expect(sample(open, lagSeries())).toBe(5);
    expect(sample(open, 'geo_capture_integrity_degraded')).toBe(0);
    expect(open).toContain('# TYPE geo_captures counter');
    expect(open).toContain('geo_captures_total 0');
    expect(open.endsWith('\n# EOF\n')).toBe(true);
    const text = await scrape();
    expect(text).toContain('# TYPE geo_captures_total counter');
    expect(text).not.toContain('# EOF');

    server = await runtime.start();
    await eventually(async () => {
      const text = await scrape();
      expect(sample(text, lagSeries())).toBe(0);
      // The five were handled (invalid ones are counted and skipped, never a poison pill).
      expect(sample(text, 'geo_sales_events_total{type="unknown",outcome="invalid"}')).toBe(5);
    });
  });
});
