// Dispatcher throughput and latency against a bare fastify route, measured in the same run on the same
// machine. Needs the local servers (`bash scripts/infra.sh up`). Usage: pnpm --filter @single/bench dispatcher
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createAmqpMessaging } from '@single/messaging';
import {
  createTestDatabase,
  createTestRedisPrefix,
  createTestVhost,
  deleteRedisPrefix,
  sharedFixture,
  testRedisUrl,
} from '@single/testing';
import autocannon from 'autocannon';

const SECRET = 'bench-secret-bench-secret-bench';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const FIXED_RATE = 2_000;
const template = readFileSync(sharedFixture('shopify/orders-paid.json'), 'utf8');
// Ids start at a random base so no two runs share a body (the dedupe keys outlive a run in Redis).
let counter = Math.floor(Math.random() * 1e9);

/** A realistic ~7 KB orders/paid body, unique per request (id and updated_at), signed like Shopify does. */
function nextRequest() {
  counter++;
  const body = template
    .replace('"id": 5550001001', `"id": ${7_000_000_000 + counter}`)
    .replace('2026-11-20T00:03:20-05:00', new Date(1_790_000_000_000 + counter * 1000).toISOString());
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': 'orders/paid',
      'x-shopify-shop-domain': 'single-demo.myshopify.com',
      'x-shopify-webhook-id': randomUUID(),
      'x-shopify-event-id': randomUUID(),
      'x-shopify-api-version': '2026-10',
      'x-shopify-hmac-sha256': createHmac('sha256', SECRET).update(body).digest('base64'),
    },
  };
}

async function start(script: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const extra = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...extra, '--conditions=source', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Keep reading the child's log lines after start-up, or its stdout would block once the pipe is full.
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    child.once('exit', () => reject(new Error(`${script} exited before listening`)));
    lines.on('line', (line) => {
      try {
        const parsed = JSON.parse(line);
        const address = parsed.listening ?? (parsed.msg === 'listening' ? parsed.address : undefined);
        if (address) {
          // From here on the log lines are only drained, not parsed, so the reader costs next to nothing.
          lines.close();
          child.stdout!.resume();
          resolve({ child, url: address });
        }
      } catch {}
    });
  });
}

interface Result {
  rps: number;
  p50: number;
  p99: number;
  p999: number;
  non2xx: number;
  errors: number;
  codes: Record<string, number>;
}

async function load(url: string, rate: number | undefined): Promise<Result> {
  const result = await autocannon({
    url: `${url}/webhooks/shopify`,
    method: 'POST',
    // At a fixed rate autocannon fires each connection on its own timer; 25 connections keep the arrivals
    // spread out as webhook deliveries are, where 100 would arrive in synchronised bursts of 100.
    connections: rate ? 25 : 64,
    duration: SECONDS,
    ...(rate ? { overallRate: rate } : {}),
    requests: [{ setupRequest: (req) => ({ ...req, ...nextRequest() }) }],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    p999: result.latency.p99_9,
    non2xx: result.non2xx,
    codes: Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {}).map(([code, v]) => [code, (v as { count: number }).count]),
    ),
    errors: result.errors + result.timeouts,
  };
}

const database = await createTestDatabase();
// The dispatcher takes deliveries only for connected shops (a row in `shop`).
await database.db.$executeRawUnsafe(
  "INSERT INTO shop (domain, updated_at) VALUES ('single-demo.myshopify.com', now())",
);
const redisPrefix = createTestRedisPrefix();
const vhost = await createTestVhost();
// A queue standing in for the fulfillment workers, so the relay's mandatory publishes route.
const sink = createAmqpMessaging({
  url: vhost.url,
  connectionName: 'bench-sink',
  topology: {
    exchanges: [{ name: 'single.events', type: 'topic' }],
    queues: [
      { name: 'bench.dlq' },
      {
        name: 'bench.sink',
        bindings: [{ exchange: 'single.events', routingKey: 'shopify.#' }],
        deadLetterQueue: 'bench.dlq',
      },
    ],
  },
});
await sink.waitUntilConnected(10_000);

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const results: Record<string, Result> = {};
let drain = { owed: -1, queued: -1, accepted: -1, seconds: 0 };
try {
  const bare = await start(here('./bare-server.ts'), {});
  results['bare fastify, max rate'] = await load(bare.url, undefined);
  results['bare fastify, 2000 req/s'] = await load(bare.url, FIXED_RATE);
  bare.child.kill('SIGTERM');

  const dispatcher = await start(here('../../apps/webhook-dispatcher/src/main.ts'), {
    PORT: '0',
    LOG_LEVEL: 'info',
    DATABASE_URL: database.url,
    RABBITMQ_URL: vhost.url,
    REDIS_URL: testRedisUrl(),
    REDIS_KEY_PREFIX: redisPrefix,
    SHOPIFY_WEBHOOK_SECRETS: SECRET,
    DD_TRACE_ENABLED: 'false',
  });
  results['dispatcher, max rate'] = await load(dispatcher.url, undefined);
  results['dispatcher, 2000 req/s'] = await load(dispatcher.url, FIXED_RATE);
  // Accepted is not enough: the relay must have published everything to RabbitMQ too.
  const drainStarted = Date.now();
  let owed = Number.POSITIVE_INFINITY;
  while (owed > 0 && Date.now() - drainStarted < 120_000) {
    const rows = await database.db.$queryRawUnsafe<{ n: bigint }[]>('SELECT count(*) AS n FROM dispatch_outbox');
    owed = Number(rows[0]?.n);
    if (owed > 0) await new Promise((r) => setTimeout(r, 200));
  }
  const stats = await sink.inspectQueue('bench.sink');
  const accepted = await database.db.$queryRawUnsafe<{ n: bigint }[]>('SELECT count(*) AS n FROM webhook_delivery');
  drain = {
    owed,
    queued: stats.messageCount,
    accepted: Number(accepted[0]?.n),
    seconds: (Date.now() - drainStarted) / 1000,
  };
  dispatcher.child.kill('SIGTERM');
  await new Promise((resolve) => dispatcher.child.once('exit', resolve));
} finally {
  await sink.close();
  await vhost.dispose();
  await database.drop();
  await deleteRedisPrefix(redisPrefix);
}

console.log(
  `\nwebhook dispatcher benchmark (${SECONDS} s per run, ~${Buffer.byteLength(template)} B orders/paid bodies, unique ids)\n`,
);
console.log('run                         req/s     p50 ms  p99 ms  p99.9 ms  non-2xx  errors');
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${name.padEnd(26)} ${r.rps.toFixed(0).padStart(7)}  ${String(r.p50).padStart(7)} ${String(r.p99).padStart(7)} ${String(r.p999).padStart(9)} ${String(r.non2xx).padStart(8)} ${String(r.errors).padStart(7)}`,
  );
}
console.log(
  `\ndeliveries stored: ${drain.accepted}; relay: ${drain.queued} published to RabbitMQ, ${drain.owed} still owed, ${drain.seconds.toFixed(1)} s after the last request`,
);
console.log('status codes:', JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, r]) => [k, r.codes]))));
const ratio = results['dispatcher, max rate']!.rps / results['bare fastify, max rate']!.rps;
const fixedP99 = results['dispatcher, 2000 req/s']!.p99;
console.log(`\nthroughput ratio dispatcher / bare route: ${ratio.toFixed(2)} (target >= 0.33)`);
console.log(`dispatcher p99 at 2000 req/s: ${fixedP99} ms (target <= 50 ms)`);
process.exit(0);
