import { readFileSync } from 'node:fs';
import {
  createKafkaTestContext,
  createTestRedisPrefix,
  createTestVhost,
  deleteRedisPrefix,
  type FakeDatadogAgent,
  type ReceivedSpan,
  sharedFixture,
  shopifyWebhookHeaders,
  startFakeDatadogAgent,
  startTestSmtpServer,
  type TestSmtpServer,
  type TestVhost,
  testEnv,
  testRedisUrl,
  useTestDatabase,
} from '@single/testing';
import pg from 'pg';
import { afterEach, describe, expect, it, onTestFailed } from 'vitest';
import { type AppProcess, spawnApp } from './test-support/app-process.ts';
import { SHOP, seedCatalogue } from './test-support/fixtures.ts';

// One webhook, three processes with the real tracer on, one trace: the dispatcher (HTTP request, outbox,
// relay, AMQP publish), RabbitMQ, the worker (AMQP consume, handler, sales_outbox, sales relay, Kafka
// produce) and geo-reporting (Kafka consume, the sale located). Spans go to a local stand-in for the
// Datadog agent, flushed every 100 ms.

const SECRET = 'trace-test-webhook-secret-0001';
const database = useTestDatabase();
let agent: FakeDatadogAgent | undefined;
let smtp: TestSmtpServer | undefined;
let vhost: TestVhost | undefined;
let redisPrefix: string | undefined;
const kafka = createKafkaTestContext();
const apps: AppProcess[] = [];

afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.stop()));
  await agent?.close();
  await smtp?.close();
  await vhost?.dispose();
  if (redisPrefix) await deleteRedisPrefix(redisPrefix).catch(() => undefined);
  await kafka.cleanup();
});

/** The log lines of an app (pino JSON), skipping anything else it printed. */
function logLines(app: AppProcess): Record<string, unknown>[] {
  return app
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('one trace, end to end', () => {
  it('follows a webhook through the dispatcher, RabbitMQ, the worker, the sales outbox, Kafka and geo-reporting', async () => {
    const { url, db } = database();
    await seedCatalogue(db);
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    // The dispatcher takes deliveries only for a connected shop.
    await pool.query(`INSERT INTO shop (domain, install_state, updated_at) VALUES ($1, 'installed', now())`, [SHOP]);
    agent = await startFakeDatadogAgent();
    smtp = await startTestSmtpServer();
    vhost = await createTestVhost();
    redisPrefix = createTestRedisPrefix();
    const salesTopic = kafka.topic();
    const traced = (service: string) => ({
      DATABASE_URL: url,
      DD_SERVICE: service,
      DD_ENV: 'test',
      DD_TRACE_ENABLED: 'true',
      DD_TRACE_AGENT_URL: agent!.url,
      DD_TRACE_FLUSH_INTERVAL: '100',
      DD_REMOTE_CONFIGURATION_ENABLED: 'false',
      LOG_LEVEL: 'info',
    });
    // The worker first: its queues must exist before the dispatcher's relay publishes.
    const worker = await spawnApp('fulfillment-worker', {
      ...traced('fulfillment-worker'),
      RABBITMQ_URL: vhost.url,
      KAFKA_BROKERS: testEnv.KAFKA_BROKERS,
      SALES_TOPIC: salesTopic,
      SMTP_URL: smtp.url,
      DOWNLOAD_TOKEN_SECRETS: 'trace-secret-trace-secret-trace-secret-0001',
      FAN_HASH_SECRET: 'trace-fan-hash-secret-trace-fan-hash-secret1',
      DOWNLOAD_BASE_URL: 'https://dl.single.example',
      POLL_INTERVAL_MS: '100',
    });
    apps.push(worker);
    const geo = await spawnApp('geo-reporting', {
      ...traced('geo-reporting'),
      KAFKA_BROKERS: testEnv.KAFKA_BROKERS,
      SALES_TOPIC: salesTopic,
      SALES_CONSUMER_GROUP: kafka.groupId(),
      GEOIP_RELOAD_INTERVAL_MS: '0',
      // "sale located" is a debug line.
      LOG_LEVEL: 'debug',
    });
    apps.push(geo);
    const dispatcher = await spawnApp('webhook-dispatcher', {
      ...traced('webhook-dispatcher'),
      RABBITMQ_URL: vhost.url,
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: redisPrefix,
      SHOPIFY_WEBHOOK_SECRETS: SECRET,
    });
    apps.push(dispatcher);
    onTestFailed(() => {
      for (const app of apps) console.error(`${app.name} output:\n${app.output().slice(-8_000)}`);
    });
    await Promise.all(apps.map((a) => a.ready(60_000)));

    const body = readFileSync(sharedFixture('shopify/orders-paid.json'));
    const answer = await fetch(`${dispatcher.url}/webhooks/shopify`, {
      method: 'POST',
      headers: shopifyWebhookHeaders('orders/paid', body, { shopDomain: SHOP, secret: SECRET }),
      body,
    });
    expect(answer.status).toBe(200);
    // The sale made it all the way: geo-reporting located it.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM located_sale');
      if (rows[0]!.n > 0) break;
      if (Date.now() > deadline) throw new Error('no located sale after 30 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    await pool.end();

    // The trace of the webhook request, as the dispatcher's HTTP server span started it.
    const isRequest = (s: ReceivedSpan) =>
      s.service === 'webhook-dispatcher' && s.type === 'web' && s.meta['http.url']?.endsWith('/webhooks/shopify');
    const [request] = (await agent.waitFor((spans) => spans.some(isRequest))).filter(isRequest);
    const traceId = request!.traceId;
    const inTrace = (s: ReceivedSpan) => s.traceId === traceId;
    const kind = (s: ReceivedSpan) => s.meta['span.kind'];
    const steps: Record<string, (s: ReceivedSpan) => boolean> = {
      'dispatcher: outbox relay publish': (s) => s.service === 'webhook-dispatcher' && s.name === 'webhook.publish',
      'dispatcher: AMQP publish': (s) =>
        s.service.startsWith('webhook-dispatcher') && s.name === 'amqp.command' && kind(s) === 'producer',
      'worker: AMQP consume': (s) =>
        s.service.startsWith('fulfillment-worker') && s.name === 'amqp.command' && kind(s) === 'consumer',
      'worker: handler': (s) => s.service === 'fulfillment-worker' && s.name === 'fulfillment.handle',
      'worker: sales outbox relay, Kafka produce': (s) =>
        s.service.startsWith('fulfillment-worker') && s.name === 'kafka.produce' && kind(s) === 'producer',
      'geo-reporting: Kafka consume': (s) =>
        s.service.startsWith('geo-reporting') && s.name === 'kafka.consume' && kind(s) === 'consumer',
      'geo-reporting: sale located': (s) => s.service === 'geo-reporting' && s.name === 'sales.consume',
    };
    const missing = () =>
      Object.entries(steps)
        .filter(([, step]) => !agent!.spans().some((s) => inTrace(s) && step(s)))
        .map(([name]) => name);
    await agent.waitFor(() => missing().length === 0, 15_000).catch(() => undefined);
    expect(missing()).toEqual([]);
    expect(agent.rejected()).toEqual([]);
    // Every service's spans of this trace hang together: each parent is a span of the trace.
    const spanIds = new Set(
      agent
        .spans()
        .filter(inTrace)
        .map((s) => s.spanId),
    );
    const orphans = agent
      .spans()
      .filter((s) => inTrace(s) && s.parentId !== '0' && !spanIds.has(s.parentId))
      .map((s) => `${s.service} ${s.name}`);
    expect(orphans).toEqual([]);

    // Logs stay correlated: the request's line in the dispatcher and the sale's in geo-reporting carry the trace id.
    const traceIdOf = (line: Record<string, unknown>) => (line.dd as { trace_id?: string } | undefined)?.trace_id;
    expect(logLines(dispatcher).some((line) => traceIdOf(line) === traceId)).toBe(true);
    expect(
      logLines(geo)
        .filter((line) => line.msg === 'sale located')
        .map(traceIdOf),
    ).toContain(traceId);
  });
});
