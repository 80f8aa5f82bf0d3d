import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { testEnv } from './env.ts';

/** The brokers of the test Kafka (KAFKA_BROKERS, comma-separated). */
export function testKafkaBrokers(): string[] {
  return testEnv.KAFKA_BROKERS.split(',').map((b) => b.trim());
}

const suffix = () => randomBytes(6).toString('hex');

/** A topic name no other test uses: `test.<random>`. Delete it with deleteTestTopics. */
export function createTestTopic(): string {
  return `test.${suffix()}`;
}

/** A consumer group id no other test uses. */
export function createTestGroupId(): string {
  return `test-group.${suffix()}`;
}

/** Deletes test topics; a topic that is already gone is fine. Bounded, so a stopped broker cannot hang a teardown. */
export async function deleteTestTopics(topics: readonly string[]): Promise<void> {
  if (topics.length === 0) return;
  const admin = new Kafka({
    clientId: 'single-tests',
    brokers: testKafkaBrokers(),
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const ours = topics.filter((t) => existing.has(t));
    if (ours.length > 0) await admin.deleteTopics({ topics: ours, timeout: 5_000 });
  } finally {
    await admin.disconnect();
  }
}

/** Topic and group names for one test, and a cleanup that deletes the topics it handed out. */
export function createKafkaTestContext() {
  const topics: string[] = [];
  return {
    brokers: testKafkaBrokers(),
    topic(): string {
      const name = createTestTopic();
      topics.push(name);
      return name;
    },
    groupId: createTestGroupId,
    async cleanup(): Promise<void> {
      await deleteTestTopics(topics.splice(0));
    },
  };
}

const infraScript = fileURLToPath(new URL('../../../scripts/infra.sh', import.meta.url));

/**
 * Stops or starts the local Kafka with scripts/infra.sh. Only for `*.restart.int.test.ts` files, which
 * run alone after the other integration tests.
 */
export async function kafkaServer(action: 'stop' | 'start'): Promise<void> {
  await promisify(execFile)('bash', [infraScript, action, 'kafka'], { timeout: 120_000 });
}
