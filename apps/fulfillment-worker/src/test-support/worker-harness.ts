import { EVENTS_EXCHANGE, shopifyRoutingKey } from '@single/contracts';
import { silentLogger } from '@single/logger';
import { createAmqpMessaging, type Messaging } from '@single/messaging';
import { createTestVhost, startTestSmtpServer, type TestSmtpServer, type TestVhost } from '@single/testing';
import pg from 'pg';
import { buildWorker, type Worker, type WorkerDeps } from '../app.ts';
import { DownloadTokens } from '../grants/tokens.ts';
import { workerTopology } from '../topology.ts';
import { envelope } from './fixtures.ts';

export const TEST_RETRY_DELAYS_MS = [50, 100, 200];

export interface WorkerHarness {
  worker: Worker;
  pool: pg.Pool;
  smtp: TestSmtpServer;
  vhost: TestVhost;
  /** The worker's messaging client (the DLQ is inspected through it). */
  messaging: Messaging;
  tokens: DownloadTokens;
  publish(topic: string, payload: Record<string, unknown>, webhookId: string): Promise<void>;
  publishRaw(routingKey: string, body: Buffer, messageId: string): Promise<void>;
  close(): Promise<void>;
}

/** A worker on its own vhost, database and SMTP server, fed through the real exchange. */
export async function startWorkerHarness(databaseUrl: string, extra: Partial<WorkerDeps> = {}): Promise<WorkerHarness> {
  const vhost = await createTestVhost();
  const smtp = await startTestSmtpServer();
  const transport = smtp.transport();
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 6 });
  const topology = workerTopology(TEST_RETRY_DELAYS_MS);
  const messaging = createAmqpMessaging({ url: vhost.url, connectionName: 'fulfillment-worker', topology });
  const publisher = createAmqpMessaging({ url: vhost.url, connectionName: 'test-publisher', topology });
  await Promise.all([messaging.waitUntilConnected(10_000), publisher.waitUntilConnected(10_000)]);
  const tokens = new DownloadTokens(['harness-secret-harness-secret-harness-1']);
  const worker = buildWorker({
    logger: silentLogger(),
    pool,
    messaging,
    tokens,
    mail: { transport, from: 'Single <downloads@single.example>' },
    downloadBaseUrl: 'https://dl.single.example',
    retryDelaysMs: TEST_RETRY_DELAYS_MS,
    pollIntervalMs: 50,
    ...extra,
  });
  await worker.start();
  const publishRaw = (routingKey: string, body: Buffer, messageId: string) =>
    publisher.publish(EVENTS_EXCHANGE, routingKey, body, { messageId, contentType: 'application/json' });
  return {
    worker,
    pool,
    smtp,
    vhost,
    messaging,
    tokens,
    publishRaw,
    publish: (topic, payload, webhookId) =>
      publishRaw(shopifyRoutingKey(topic), Buffer.from(JSON.stringify(envelope(topic, payload, webhookId))), webhookId),
    async close() {
      await worker.stop();
      await Promise.all([messaging.close(), publisher.close()]);
      transport.close();
      await smtp.close();
      await pool.end();
      await vhost.dispose();
    },
  };
}

export { eventually } from '@single/testing';
