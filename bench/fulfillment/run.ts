// Fulfillment worker throughput: 50,000 paid orders of 3 lines each are queued in RabbitMQ first, then the
// real worker (apps/fulfillment-worker/src/main.ts, a child process with every loop running: mailer to a
// local SMTP server, Kafka relay, scheduler, Shopify outbox) drains them. Prints orders/s end to end
// (grants and sales outbox rows committed) and the worker's memory over the run.
// Needs the local servers (`bash scripts/infra.sh up`). Usage: pnpm --filter @single/bench fulfillment
// Env: BENCH_ORDERS (default 50000); BENCH_CPU_PROF=<dir> writes the worker's V8 CPU profile there; any
// worker setting (ORDER_PREFETCH, SNAPSHOT_BATCH_SIZE, ...) passes through to the child.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { EVENTS_EXCHANGE } from '@single/contracts';
import { createAmqpMessaging } from '@single/messaging';
import { createKafkaTestContext, createTestDatabase, createTestVhost, sharedFixture, testEnv } from '@single/testing';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { SHOP, seedCatalogue } from '../../apps/fulfillment-worker/src/test-support/fixtures.ts';
import { workerTopology } from '../../apps/fulfillment-worker/src/topology.ts';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 50_000);
const TARGET = 1_000;
const template = JSON.parse(readFileSync(sharedFixture('shopify/orders-paid.json'), 'utf8')) as Record<string, unknown>;
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
/** User + system CPU seconds of a process (clock ticks are 100 Hz on Linux). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
/** CPU seconds of the brokers by process name (every client of theirs counts, not only this bench). */
function serverCpuSeconds(): Record<string, number> {
  const names: Record<string, string> = { 'beam.smp': 'rabbitmq', java: 'kafka' };
  const totals: Record<string, number> = { rabbitmq: 0, kafka: 0 };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const server = names[stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))];
      if (server) totals[server]! += cpuSeconds(Number(entry));
    } catch {
      // the process exited meanwhile
    }
  }
  return totals;
}
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

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

    const { rows: before } = await pool.query<{ commits: string }>(
      'SELECT xact_commit::text AS commits FROM pg_stat_database WHERE datname = current_database()',
    );
    const loadBefore = load();
    const serversBefore = serverCpuSeconds();
    const benchBefore = process.cpuUsage();
    const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    const started = Date.now();
    child = spawn(process.execPath, [...profile, '--conditions=source', workerMain], {
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        RABBITMQ_URL: vhost.url,
        KAFKA_BROKERS: testEnv.KAFKA_BROKERS,
        SALES_TOPIC: topic,
        SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        DOWNLOAD_TOKEN_SECRETS: 'bench-secret-bench-secret-bench-secret-0001',
        FAN_HASH_SECRET: 'bench-fan-hash-secret-bench-fan-hash-secret-01',
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
      // Grants and sales outbox rows commit together (the relay marks the rows published once Kafka has them).
      const { rows } = await pool.query<{ grants: number; orders: number }>(
        `SELECT (SELECT count(*) FROM download_grant)::int AS grants, (SELECT count(*) FROM orders)::int AS orders`,
      );
      done = rows[0]!.orders;
      if (rows[0]!.grants >= ORDERS * 3) break;
      if (Date.now() - started > 600_000) throw new Error(`timed out with ${done} orders done`);
    }
    const seconds = (Date.now() - started) / 1000;
    const { rows: outbox } = await pool.query<{ left: number }>(
      'SELECT count(*)::int AS left FROM sales_outbox WHERE published_at IS NULL',
    );
    const mailsAtGrants = mails;
    const workerCpu = cpuSeconds(pid);
    // The worker's own PostgreSQL backends (its pool lives for the whole run): database time per order.
    const { rows: backends } = await pool.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    const databaseCpu = backends.reduce((sum, b) => {
      try {
        return sum + cpuSeconds(b.pid);
      } catch {
        return sum;
      }
    }, 0);
    const serversAfter = serverCpuSeconds();
    const benchCpu = process.cpuUsage(benchBefore);
    const { rows: after } = await pool.query<{ commits: string }>(
      'SELECT xact_commit::text AS commits FROM pg_stat_database WHERE datname = current_database()',
    );
    const rate = ORDERS / seconds;
    // Then the rest of the pipeline: every download email sent, every sales event on Kafka (not part of the
    // target, which is grants and outbox rows committed; printed so that a lagging loop shows).
    const drained: { emails: number | null; events: number | null } = { emails: null, events: null };
    while (drained.emails === null || drained.events === null) {
      const { rows } = await pool.query<{ emails: number; events: number }>(
        `SELECT (SELECT count(*) FROM email_message WHERE status = 'pending')::int AS emails,
                (SELECT count(*) FROM sales_outbox WHERE published_at IS NULL)::int AS events`,
      );
      const at = (Date.now() - started) / 1000;
      if (drained.emails === null && rows[0]!.emails === 0) drained.emails = at;
      if (drained.events === null && rows[0]!.events === 0) drained.events = at;
      if (at > seconds + 300) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const quarter = (q: number) =>
      samples[Math.min(samples.length - 1, Math.floor((samples.length * q) / 4))]!.toFixed(0);
    console.log(
      `fulfilled ${ORDERS} orders (${ORDERS * 3} grants and, in the same transactions, as many sales events) in ` +
        `${seconds.toFixed(1)} s; ${outbox[0]!.left} events still in the outbox, the rest already on Kafka`,
    );
    console.log(`throughput: ${rate.toFixed(0)} orders/s end to end, including worker start-up (target >= ${TARGET})`);
    console.log(
      `worker RSS MB at 25/50/75/100 %: ${[1, 2, 3, 4].map(quarter).join(' / ')}; peak ${peakRssMb(pid).toFixed(0)} MB`,
    );
    console.log(`download emails sent meanwhile: ${mailsAtGrants}`);
    const after_ = (at: number | null) => (at === null ? 'not within 300 s more' : `${at.toFixed(1)} s after start`);
    console.log(
      `pipeline drained: all download emails sent ${after_(drained.emails)} (${mails} in all), ` +
        `all sales events on Kafka ${after_(drained.events)}`,
    );
    console.log(
      `CPU per order: worker ${((workerCpu / ORDERS) * 1000).toFixed(2)} ms, its PostgreSQL backends ` +
        `${((databaseCpu / ORDERS) * 1000).toFixed(2)} ms (${backends.length} backends, ${databaseCpu.toFixed(1)} s)`,
    );
    console.log(
      `worker CPU ${workerCpu.toFixed(1)} s (${((workerCpu / seconds) * 100).toFixed(0)} % of one core); ` +
        `${Number(after[0]!.commits) - Number(before[0]!.commits)} PostgreSQL commits in the bench database ` +
        `(~${((Number(after[0]!.commits) - Number(before[0]!.commits)) / ORDERS).toFixed(2)} per order, all loops included)`,
    );
    console.log(
      `CPU s meanwhile: ${Object.entries(serversAfter)
        .map(([name, cpu]) => `${name} ${(cpu - serversBefore[name]!).toFixed(1)}`)
        .join(', ')} (all their clients), this bench process (SMTP server, polling) ${(
        (benchCpu.user + benchCpu.system) / 1e6
      ).toFixed(1)}`,
    );
    console.log(`load average (1/5/15 min) at start: ${loadBefore}; at end: ${load()}`);
    process.exitCode = rate >= TARGET ? 0 : 1;
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    }
    await pool.end();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    await database.drop().catch(() => undefined);
    await vhost.dispose().catch(() => undefined);
    await kafka.cleanup().catch(() => undefined);
  }
}

await main();
