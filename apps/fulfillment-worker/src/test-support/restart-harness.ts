import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EVENTS_EXCHANGE, shopifyRoutingKey } from '@single/contracts';
import { createKafkaEventBus, type EventBus } from '@single/events';
import { createAmqpMessaging, type Messaging } from '@single/messaging';
import {
  createKafkaTestContext,
  createTestVhost,
  startTestSmtpServer,
  type TestDatabase,
  type TestSmtpServer,
  type TestVhost,
  useTestDatabase,
} from '@single/testing';
import pg from 'pg';
import { afterEach, beforeEach, onTestFailed } from 'vitest';
import { QUEUES, workerTopology } from '../topology.ts';
import { envelope, seedCatalogue, shopifyFixture } from './fixtures.ts';
import { spawnWorker, type WorkerProcess } from './worker-process.ts';

/**
 * Test-scale retry ladder of the restart tests: about 30 s in all, so a database restart (a few seconds)
 * is outlasted by the ladder and nothing reaches the dead-letter queue.
 */
export const RESTART_RETRY_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000, 8_000, 16_000];

/** The pieces around a worker process: its vhost, an in-process SMTP server, a publisher, a pg pool. */
export interface RestartHarness {
  vhost: TestVhost;
  smtp: TestSmtpServer;
  /** Publishes to the vhost and reads its dead-letter queue. */
  messaging: Messaging;
  pool: pg.Pool;
  /** The Kafka topic the workers relay `sales.v1` to (a test topic, deleted by close()). */
  salesTopic: string;
  kafka: ReturnType<typeof createKafkaTestContext>;
  /** Every `sales.v1` event a consumer of that topic received, in order (duplicates included). */
  received: { eventId: string; payload: unknown }[];
  /** Workers spawned so far (all stopped by close()). */
  workers: WorkerProcess[];
  spawn(env?: Record<string, string>): Promise<WorkerProcess>;
  /** Publishes paid orders 0..count-1 of this test (ids 7000000000 + offset + i), like the dispatcher does. */
  publishPaidOrders(count: number, offset?: number): Promise<string[]>;
  deadLetters(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The setup every restart test shares: a test database with the catalogue seeded and a harness started
 * before each test, the workers' output printed when a test fails, the harness closed after each test.
 * `beforeClose` runs first in afterEach (e.g. start again a server the test stopped). Returns a getter for
 * the current test's harness.
 */
export function useRestartHarness(options: { beforeClose?: () => Promise<unknown> } = {}): () => RestartHarness {
  const database = useTestDatabase();
  let h: RestartHarness;

  beforeEach(async () => {
    await seedCatalogue(database().db);
    h = await startRestartHarness(database());
    onTestFailed(() => {
      for (const w of h.workers) console.error(`worker ${w.pid} output:\n${w.output()}`);
    });
  });
  afterEach(async () => {
    await options.beforeClose?.();
    await h.close();
  });
  return () => h;
}

export async function startRestartHarness(database: TestDatabase): Promise<RestartHarness> {
  const vhost = await createTestVhost();
  const smtp = await startTestSmtpServer();
  const messaging = createAmqpMessaging({
    url: vhost.url,
    connectionName: 'restart-test',
    topology: workerTopology(RESTART_RETRY_DELAYS_MS),
  });
  await messaging.waitUntilConnected(10_000);
  const pool = new pg.Pool({ connectionString: database.url, max: 3 });
  // A database restart breaks idle connections; the next query opens a new one.
  pool.on('error', () => undefined);
  const workers: WorkerProcess[] = [];
  const kafka = createKafkaTestContext();
  const salesTopic = kafka.topic();
  const bus: EventBus = createKafkaEventBus({ brokers: kafka.brokers, clientId: 'fulfillment-restart-test' });
  await bus.ensureTopics([salesTopic], 3);
  const received: RestartHarness['received'] = [];
  await bus.subscribe({
    topics: [salesTopic],
    groupId: kafka.groupId(),
    fromBeginning: true,
    handler: async (event) => {
      const payload = JSON.parse(event.value.toString()) as { eventId: string };
      received.push({ eventId: payload.eventId, payload });
    },
  });
  return {
    received,
    vhost,
    smtp,
    messaging,
    pool,
    salesTopic,
    kafka,
    workers,
    async spawn(env = {}) {
      const worker = await spawnWorker({
        DATABASE_URL: database.url,
        RABBITMQ_URL: vhost.url,
        SMTP_URL: smtp.url,
        SALES_TOPIC: salesTopic,
        RETRY_DELAYS_MS: RESTART_RETRY_DELAYS_MS.join(','),
        ...env,
      });
      workers.push(worker);
      await worker.ready();
      return worker;
    },
    async publishPaidOrders(count, offset = 0) {
      const ids = Array.from({ length: count }, (_, i) => String(7_000_000_000 + offset + i));
      await Promise.all(
        ids.map((id) => {
          const payload = { ...shopifyFixture('orders/paid'), id: Number(id), name: `#R${id}` };
          const webhookId = `w-${id}`;
          const body = Buffer.from(JSON.stringify(envelope('orders/paid', payload, webhookId)));
          return messaging.publish(EVENTS_EXCHANGE, shopifyRoutingKey('orders/paid'), body, {
            messageId: webhookId,
            contentType: 'application/json',
          });
        }),
      );
      return ids;
    },
    async deadLetters() {
      return (await messaging.inspectQueue(QUEUES.deadLetter)).messageCount;
    },
    async close() {
      await Promise.all(workers.map((w) => w.stop()));
      await messaging.close();
      await smtp.close();
      await pool.end();
      await vhost.dispose();
      await bus.close();
      await kafka.cleanup();
    },
  };
}

/**
 * Orders, grants and email rows of the test, and its sales events: those still in the outbox plus the
 * distinct ones already on Kafka (the relay deletes a row once Kafka has it).
 */
export async function effects(
  h: Pick<RestartHarness, 'pool' | 'received'>,
): Promise<{ orders: number; grants: number; sales: number; emails: number }> {
  const { rows } = await h.pool.query<{ orders: number; grants: number; emails: number; waiting: string[] }>(
    `SELECT (SELECT count(*) FROM orders)::int AS orders, (SELECT count(*) FROM download_grant)::int AS grants,
            (SELECT count(*) FROM email_message)::int AS emails,
            ARRAY(SELECT event_id::text FROM sales_outbox) AS waiting`,
  );
  const { waiting, ...counts } = rows[0]!;
  return { ...counts, sales: new Set([...waiting, ...h.received.map((e) => e.eventId)]).size };
}

const infraScript = fileURLToPath(new URL('../../../../scripts/infra.sh', import.meta.url));

/** Stops, starts or restarts the local PostgreSQL through scripts/infra.sh; returns how long it took. */
export async function postgresServer(action: 'stop' | 'start' | 'restart'): Promise<number> {
  const started = Date.now();
  await promisify(execFile)('bash', [infraScript, action, 'postgres'], { timeout: 120_000 });
  return Date.now() - started;
}

/** The Message-ID header of a message as the SMTP server received it. */
export const messageIdOf = (source: string): string | undefined => /^Message-ID: (<[^>]+>)/im.exec(source)?.[1];

export interface SentEmail {
  id: string;
  orderName: string;
  status: string;
  messageId: string;
  uncertainSends: number;
  /** How many messages with this row's Message-ID the SMTP server received. */
  received: number;
}

/**
 * Every email row next to what the SMTP server RECEIVED under its Message-ID, and the messages it received
 * under a Message-ID no row has (there must be none).
 */
export async function emailsAsReceived(
  h: Pick<RestartHarness, 'pool' | 'smtp'>,
): Promise<{ emails: SentEmail[]; strangers: number }> {
  const { rows } = await h.pool.query<Omit<SentEmail, 'received'>>(
    `SELECT m.id::text AS id, o.name AS "orderName", m.status::text AS status, m.message_id AS "messageId",
            m.uncertain_sends AS "uncertainSends"
     FROM email_message m JOIN orders o ON o.id = m.order_id ORDER BY o.name`,
  );
  const counts = new Map<string, number>();
  for (const mail of h.smtp.received) {
    const id = messageIdOf(mail.source) ?? '(none)';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const emails = rows.map((row) => ({ ...row, received: counts.get(row.messageId) ?? 0 }));
  const known = new Set(rows.map((r) => r.messageId));
  const strangers = [...counts].filter(([id]) => !known.has(id)).reduce((n, [, c]) => n + c, 0);
  return { emails, strangers };
}

/** Resolves with the id the worker printed when it reached its TEST_PAUSE_AT point. */
export async function pausedAt(worker: WorkerProcess, point: string, timeoutMs = 30_000): Promise<string> {
  const marker = new RegExp(`^TEST_PAUSE ${point} (\\S*)$`, 'm');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = marker.exec(worker.output());
    if (found) return found[1]!;
    if (Date.now() > deadline) throw new Error(`worker never paused at ${point}:\n${worker.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
