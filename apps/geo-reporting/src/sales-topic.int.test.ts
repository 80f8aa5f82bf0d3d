import { Writable } from 'node:stream';
import { loadConfig } from '@single/config';
import { SALES_TOPIC_PARTITIONS } from '@single/contracts';
import { createKafkaEventBus, type EventBus } from '@single/events';
import type { RunningServer } from '@single/http';
import { createLogger } from '@single/logger';
import { createKafkaTestContext, createTestDatabase, type TestDatabase } from '@single/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { geoReportingEnv } from './config.ts';
import { createRuntime } from './runtime.ts';
import { geoipFixture } from './test-support/fixtures.ts';

// Issue 18, docs/CAPACITY.md section 5: sales.v1 needs 12 partitions (geo-reporting scales to 8 replicas, one
// consumer per partition, with room for the sales lane's shards); the apps created it with 6. Here the app as
// main.ts starts it, on the real Kafka: a missing topic is created with the configured count (12 unless
// SALES_TOPIC_PARTITIONS says otherwise), and an existing smaller one is left alone, with a warning.

const kafka = createKafkaTestContext();
let database: TestDatabase;
let admin: EventBus;
let server: RunningServer | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
  admin = createKafkaEventBus({ brokers: kafka.brokers, clientId: 'sales-topic-test' });
});
afterEach(async () => {
  await server?.shutdown();
  server = undefined;
});
afterAll(async () => {
  await admin?.close();
  await database?.drop();
  await kafka.cleanup();
});

/** Starts geo-reporting on `topic` as main.ts does; resolves with what it logged at warn and above. */
async function start(topic: string, env: Record<string, string> = {}): Promise<() => string> {
  let logged = '';
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logged += chunk.toString();
      done();
    },
  });
  const config = loadConfig(geoReportingEnv, {
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: database.url,
    KAFKA_BROKERS: kafka.brokers.join(','),
    TRUSTED_PROXIES: '127.0.0.1/32',
    GEOIP_DB_PATHS: geoipFixture('GeoIP2-City-Test'),
    GEOIP_RELOAD_INTERVAL_MS: '0',
    SALES_TOPIC: topic,
    SALES_CONSUMER_GROUP: kafka.groupId(),
    ...env,
  });
  const runtime = createRuntime(config, { logger: createLogger({ level: 'warn', destination }) });
  server = await runtime.start();
  return () => logged;
}

/** The topic's partitions as the broker reports them (one end offset per partition), once its leaders answer. */
async function partitionsOf(topic: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return (await admin.endOffsets(topic)).size;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

describe('the sales topic at start-up', () => {
  it('is created with the capacity plan’s 12 partitions when nothing is configured', async () => {
    expect(SALES_TOPIC_PARTITIONS).toBe(12);
    const topic = kafka.topic();
    await start(topic);
    expect(await partitionsOf(topic)).toBe(12);
  }, 60_000);

  it('is created with SALES_TOPIC_PARTITIONS when set', async () => {
    const topic = kafka.topic();
    await start(topic, { SALES_TOPIC_PARTITIONS: '4' });
    expect(await partitionsOf(topic)).toBe(4);
  }, 60_000);

  it('is left as it is when it exists with fewer partitions, and the log says so', async () => {
    const topic = kafka.topic();
    await admin.ensureTopics([topic], 3);
    const logged = await start(topic);
    // Not grown: adding partitions would move keys (orders) in flight to other partitions.
    expect(await partitionsOf(topic)).toBe(3);
    const warning = logged()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((line) => line.topic === topic);
    expect(warning).toMatchObject({ level: 'warn', partitions: 3, wanted: 12 });
    expect(String(warning?.runbook)).toContain('docs/RUNBOOK.md');
  }, 60_000);
});
