// Fulfillment worker throughput: 50,000 paid orders of 3 lines each are queued in RabbitMQ first, then the
// real worker (apps/fulfillment-worker/src/main.ts, a child process with every loop running: mailer to a
// local SMTP server, Kafka relay, scheduler, Shopify outbox) drains them. Prints orders/s end to end
// (grants and sales outbox rows committed) and the worker's memory over the run.
// Needs the local servers (`bash scripts/infra.sh up`). Usage: pnpm --filter @single/bench fulfillment
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EVENTS_EXCHANGE } from '@single/contracts';
import { createAmqpMessaging } from '@single/messaging';
import { createKafkaTestContext, createTestDatabase, createTestVhost, testEnv } from '@single/testing';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { SHOP, seedCatalogue } from '../../apps/fulfillment-worker/src/test-support/fixtures.ts';
import { workerTopology } from '../../apps/fulfillment-worker/src/topology.ts';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 50_000);
const TARGET = 1_000;
const template = JSON.parse(
  readFileSync(new URL('../../../shared/fixtures/shopify/orders-paid.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;
const workerMain = fileURLToPath(new URL('../../apps/fulfillment-worker/src/main.ts', import.meta.url));

function envelope(i: number): Buffer {
  const payload = { ...template, id: 8_000_000_000 + i, name: `#B${i}`, updated_at: '2026-11-20T00:03:20-05:00' };
  return Buffer.from(
    JSON.stringify({
      version: 1,
      source: 'shopify',
      topic: 'orders/paid',
      shopDomain: SHOP,
      webhookId: randomUUID(),
      eventId: null,
      triggeredAt: null,
      receivedAt: new Date().toISOString(),
      apiVersion: '2026-10',
      payload,
    }),
  );
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}
function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function main() {
  const database = await createTestDatabase();
  const vhost = await createTestVhost();
  const kafka = createKafkaTestContext();
  const topic = kafka.topic();
  let mails = 0;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      stream.resume();
      stream.on('end', () => {
        mails++;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const smtpPort = (smtp.server.address() as { port: number }).port;
  let child: ChildProcess | undefined;
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  try {
    await seedCatalogue(database.db);
    // Declare the worker's topology, then queue every order before the worker starts.
    const publisher = createAmqpMessaging({
      url: vhost.url,
      connectionName: 'bench-publisher',
      topology: workerTopology(),
    });
    await publisher.waitUntilConnected(10_000);
    const queueStart = Date.now();
    for (let i = 0; i < ORDERS; i += 500) {
      await Promise.all(
        Array.from({ length: Math.min(500, ORDERS - i) }, (_, j) =>
          publisher.publish(EVENTS_EXCHANGE, 'shopify.orders.paid', envelope(i + j), {
            contentType: 'application/json',
          }),
        ),
      );
    }
    await publisher.close();
    console.log(`queued ${ORDERS} paid orders (3 lines each) in ${((Date.now() - queueStart) / 1000).toFixed(1)} s`);

    const started = Date.now();
    child = spawn(process.execPath, ['--conditions=source', workerMain], {
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        RABBITMQ_URL: vhost.url,
        KAFKA_BROKERS: testEnv.KAFKA_BROKERS,
        SALES_TOPIC: topic,
        SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        DOWNLOAD_TOKEN_SECRETS: 'bench-secret-bench-secret-bench-secret-0001',
        PORT: '0',
        LOG_LEVEL: 'warn',
        DD_TRACE_ENABLED: 'false',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const pid = child.pid!;
    const samples: number[] = [];
    let done = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 500));
      samples.push(rssMb(pid));
      const { rows } = await pool.query<{ grants: number; sales: number; orders: number }>(
        `SELECT (SELECT count(*) FROM download_grant)::int AS grants, (SELECT count(*) FROM sales_outbox)::int AS sales,
                (SELECT count(*) FROM orders)::int AS orders`,
      );
      done = rows[0]!.orders;
      if (rows[0]!.grants >= ORDERS * 3 && rows[0]!.sales >= ORDERS * 3) break;
      if (Date.now() - started > 600_000) throw new Error(`timed out with ${done} orders done`);
    }
    const seconds = (Date.now() - started) / 1000;
    const rate = ORDERS / seconds;
    const quarter = (q: number) =>
      samples[Math.min(samples.length - 1, Math.floor((samples.length * q) / 4))]!.toFixed(0);
    console.log(
      `fulfilled ${ORDERS} orders (${ORDERS * 3} grants, ${ORDERS * 3} sales outbox rows) in ${seconds.toFixed(1)} s`,
    );
    console.log(`throughput: ${rate.toFixed(0)} orders/s end to end, including worker start-up (target >= ${TARGET})`);
    console.log(
      `worker RSS MB at 25/50/75/100 %: ${[1, 2, 3, 4].map(quarter).join(' / ')}; peak ${peakRssMb(pid).toFixed(0)} MB`,
    );
    console.log(`emails sent meanwhile: ${mails}`);
    process.exitCode = rate >= TARGET ? 0 : 1;
  } finally {
    child?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1_000));
    await pool.end();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    await database.drop().catch(() => undefined);
    await vhost.dispose().catch(() => undefined);
    await kafka.cleanup().catch(() => undefined);
  }
}

await main();
