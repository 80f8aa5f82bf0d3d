// Data-layer benchmark (issue 16): the hot batched statements that stay on pg's pool.query, each run with the
// same SQL text and the same values through pg (the baseline) and through the Prisma client on the same
// database (`$queryRawUnsafe`, the client built with createDbOnPool as the apps build it). Per statement: the
// process CPU time of one call (what the app pays) and its wall latency p50/p95, and the ratio Prisma / pg.
//
//   pnpm --filter @single/bench run data-layer
//   BENCH_QUICK=1 node --conditions=source data-layer/run.ts     a smoke run (20 calls each)
//   BENCH_ITERATIONS=300 BENCH_ROUNDS=4                          calls per statement per client; pg/Prisma alternations
//
// Each call runs inside a transaction that is rolled back afterwards (BEGIN/ROLLBACK are not timed), so every
// call sees the seeded state. Warm-up calls are not counted.
import { createHash, randomUUID } from 'node:crypto';
import { createDbOnPool } from '@single/db';
import { createTestDatabase } from '@single/testing';
import pg from 'pg';
import { CLAIM_EMAILS } from '../../apps/fulfillment-worker/src/email/mailer.ts';
import {
  UPSERT_LINES,
  UPSERT_ORDERS,
} from '../../apps/fulfillment-worker/src/handlers/order-snapshot/apply-snapshots.ts';
import { SELECT_UNPUBLISHED } from '../../apps/fulfillment-worker/src/sales/sales-relay.ts';
import { claimSql } from '../../apps/webhook-dispatcher/src/deliveries/delivery.repository.ts';
import { COUNT_ATTEMPTS, MARK_PUBLISHED, SELECT_BATCH } from '../../apps/webhook-dispatcher/src/relay/outbox-relay.ts';

const quick = process.env.BENCH_QUICK === '1';
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? (quick ? 20 : 300));
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 4));
const WARMUP = quick ? 5 : 30;
// Both clients get a pool of the same size (the calls are sequential: one connection is in use at a time).
const POOL_SIZE = 4;
// The batch sizes the apps run with by default: the relay's batchSize (200), SNAPSHOT_BATCH_SIZE (250), the
// mailer's batchSize (50), the sales relay's batchSize (500). The claim's MicroBatcher allows 500, but with no
// linger and 4 flushes in flight a batch holds what arrived during one statement: tens at the ~2k/s peak.
const RELAY_BATCH = 200;
const SNAPSHOT_BATCH = 250;
const EMAIL_BATCH = 50;
const SALES_BATCH = 500;
const CLAIM_BATCH = Number(process.env.BENCH_CLAIM_BATCH ?? 50);
const SHOPS = Array.from({ length: 10 }, (_, i) => `bench-shop-${i}.myshopify.com`);
// A Shopify orders/* body is several KB; the claim stores it as text.
const PAYLOAD = JSON.stringify({
  id: 1,
  line_items: Array.from({ length: 12 }, (_, i) => ({ id: i, title: 'x'.repeat(480) })),
});

async function seed(pool: pg.Pool) {
  await pool.query(`INSERT INTO shop (domain, updated_at) SELECT unnest($1::text[]), now()`, [SHOPS]);
  // 2,000 deliveries waiting in the outbox (orders lane), as after a burst the relay has not caught up with.
  await pool.query(
    `INSERT INTO webhook_delivery (shop_domain, topic, webhook_id, event_id, body_sha256, dedupe_family, lane,
       triggered_at, received_at, api_version, payload, payload_expires_at, shopify_order_id)
     SELECT ($1::text[])[1 + g % 10], 'orders/updated', 'seed-' || g, 'ev-' || g, md5(g::text) || md5('b' || g),
       'orders', 'orders', now(), now(), '2026-01', $2, now() + interval '7 days', (5000000 + g)::text
     FROM generate_series(1, 2000) g`,
    [SHOPS, PAYLOAD],
  );
  await pool.query(
    `INSERT INTO dispatch_outbox (delivery_id, lane, trace_headers)
     SELECT id, lane, '{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}'::jsonb
     FROM webhook_delivery ORDER BY id`,
  );
  // 5,000 orders with two lines each; the snapshot batch updates half of its orders and creates the rest.
  await pool.query(
    `INSERT INTO orders (shop_domain, shopify_order_id, name, financial_status, currency, email, customer_id,
       browser_ip, billing_zip, billing_country, shipping_zip, shipping_country, shopify_created_at,
       shopify_updated_at, updated_at)
     SELECT ($1::text[])[1 + g % 10], 5000000 + g, '#' || (1000 + g), 'paid', 'EUR', 'fan' || g || '@example.com',
       7000000 + g, '203.0.113.' || (g % 250), '7500' || (g % 10), 'FR', '7500' || (g % 10), 'FR',
       now() - interval '2 days', now() - interval '1 day', now()
     FROM generate_series(1, 5000) g`,
    [SHOPS],
  );
  await pool.query(
    `INSERT INTO order_line (order_id, shopify_line_id, product_id, variant_id, sku, quantity, price,
       requires_shipping, unmapped)
     SELECT o.id, o.shopify_order_id * 10 + l, 800 + l, 900 + l, 'SKU-' || l, 1, 9.99, false, true
     FROM orders o CROSS JOIN generate_series(1, 2) l`,
  );
  // 2,000 emails due, 5,000 unpublished sales events.
  await pool.query(
    `INSERT INTO email_message (idempotency_key, "to", kind, payload, next_attempt_at)
     SELECT 'download:' || g, 'fan' || g || '@example.com', 'download',
       jsonb_build_object('orderName', '#' || g, 'grants', jsonb_build_array(gen_random_uuid(), gen_random_uuid())),
       now() - interval '1 minute' * (g % 60)
     FROM generate_series(1, 2000) g`,
  );
  await pool.query(
    `INSERT INTO sales_outbox (event_id, topic, key, payload, trace_headers)
     SELECT gen_random_uuid(), 'sales.v1', gen_random_uuid()::text,
       jsonb_build_object('version', 2, 'orderId', gen_random_uuid(), 'units', 1, 'price', '9.99',
         'currency', 'EUR', 'fan', repeat('s', 400)),
       '{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}'::jsonb
     FROM generate_series(1, 5000) g`,
  );
  await pool.query('ANALYZE');
}

interface Statement {
  name: string;
  sql: string;
  values: unknown[];
  /** No RETURNING: Prisma runs it with $executeRawUnsafe (its count of rows changed), as an app would. */
  execute?: true;
}

async function statements(pool: pg.Pool): Promise<Statement[]> {
  const outboxIds = (
    await pool.query<{ id: string }>('SELECT id::text FROM dispatch_outbox ORDER BY id LIMIT $1', [RELAY_BATCH])
  ).rows.map((r) => r.id);
  const claimed = Array.from({ length: CLAIM_BATCH }, (_, i) => {
    const body = `${PAYLOAD}${i}`;
    return [
      SHOPS[i % SHOPS.length],
      'orders/updated',
      randomUUID(),
      randomUUID(),
      createHash('sha256').update(body).digest('hex'),
      'orders',
      'orders',
      new Date().toISOString(),
      new Date().toISOString(),
      '2026-01',
      body,
      new Date(Date.now() + 7 * 86_400_000).toISOString(),
      '{"traceparent":"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}',
      String(6_000_000 + i),
      null,
    ];
  }).flat();
  // Half the snapshot batch updates seeded orders (a newer updated_at), half are new orders.
  const snapshots = Array.from({ length: SNAPSHOT_BATCH }, (_, i) => ({
    shop: SHOPS[i % SHOPS.length]!,
    oid: String(i % 2 === 0 ? 5_000_001 + i : 9_000_000 + i),
  }));
  const col = <T>(pick: (s: (typeof snapshots)[number], i: number) => T) => snapshots.map(pick);
  const updatedAt = new Date().toISOString();
  const upsertOrders = [
    col((s) => s.shop),
    col((s) => s.oid),
    col((_, i) => `#${2000 + i}`),
    col(() => 'paid'),
    col(() => null),
    col(() => false),
    col(() => 'EUR'),
    col((_, i) => `fan${i}@example.com`),
    col((_, i) => String(7_000_001 + i)),
    col((_, i) => `203.0.113.${i % 250}`),
    col(() => randomUUID().replace(/-/g, '')),
    col(() => '75001'),
    col(() => 'FR'),
    col(() => null),
    col(() => '75001'),
    col(() => 'FR'),
    col(() => null),
    col(() => updatedAt),
    col(() => updatedAt),
    new Date(),
    col(() => true),
    col((_, i) => createHash('sha256').update(`fan${i}@example.com`).digest('hex')),
  ];
  // The lines statement: two lines for each order of a batch (existing orders: an update of their lines).
  const orders = (
    await pool.query<{ id: string; oid: string }>(
      'SELECT id, shopify_order_id::text AS oid FROM orders ORDER BY shopify_order_id LIMIT $1',
      [SNAPSHOT_BATCH],
    )
  ).rows;
  const lines = orders.flatMap((o) =>
    [1, 2].map((l) => ({ orderId: o.id, lineId: String(Number(o.oid) * 10 + l), l })),
  );
  const lcol = <T>(pick: (x: (typeof lines)[number]) => T) => lines.map(pick);
  const upsertLines = [
    lcol((x) => x.orderId),
    lcol((x) => x.lineId),
    lcol((x) => String(800 + x.l)),
    lcol((x) => String(900 + x.l)),
    lcol((x) => `SKU-${x.l}`),
    lcol(() => 2),
    lcol(() => '9.99'),
    lcol(() => false),
    lcol(() => null),
    lcol(() => true),
    lcol(() => 0),
    lcol(() => '0'),
    lcol(() => '1.66'),
    lcol(() => '19.98'),
    lcol(() => false),
  ];
  const now = new Date();
  return [
    { name: `dispatcher claim (${CLAIM_BATCH} deliveries)`, sql: claimSql(CLAIM_BATCH), values: claimed },
    { name: `relay select batch (${RELAY_BATCH})`, sql: SELECT_BATCH, values: ['orders', RELAY_BATCH, 1, 0] },
    { name: `relay mark published (${RELAY_BATCH})`, sql: MARK_PUBLISHED, values: [outboxIds], execute: true },
    { name: `relay count attempts (${RELAY_BATCH})`, sql: COUNT_ATTEMPTS, values: [outboxIds], execute: true },
    { name: `worker upsert orders (${SNAPSHOT_BATCH})`, sql: UPSERT_ORDERS, values: upsertOrders },
    { name: `worker upsert lines (${lines.length})`, sql: UPSERT_LINES, values: upsertLines },
    {
      name: `email claim (${EMAIL_BATCH})`,
      sql: CLAIM_EMAILS,
      values: [now, new Date(now.getTime() + 120_000), EMAIL_BATCH],
    },
    { name: `sales relay read (${SALES_BATCH})`, sql: SELECT_UNPUBLISHED, values: [SALES_BATCH] },
  ];
}

interface Sample {
  cpuMs: number;
  wallMs: number;
  rows: number;
}

/** CPU (user + system) and wall time of one awaited call. */
async function timed(call: () => Promise<number>): Promise<Sample> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const rows = await call();
  const wallMs = performance.now() - t;
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000, wallMs, rows };
}

const ROLLBACK = new Error('rollback');

async function viaPg(pool: pg.Pool, s: Statement): Promise<Sample> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const sample = await timed(async () => {
      const result = await client.query(s.sql, s.values);
      return s.execute ? (result.rowCount ?? 0) : result.rows.length;
    });
    await client.query('ROLLBACK');
    return sample;
  } finally {
    client.release();
  }
}

async function viaPrisma(db: ReturnType<typeof createDbOnPool>, s: Statement): Promise<Sample> {
  let sample: Sample | undefined;
  await db
    .$transaction(async (tx) => {
      sample = await timed(async () =>
        s.execute
          ? await tx.$executeRawUnsafe(s.sql, ...s.values)
          : ((await tx.$queryRawUnsafe(s.sql, ...s.values)) as unknown[]).length,
      );
      throw ROLLBACK;
    })
    .catch((err: unknown) => {
      if (err !== ROLLBACK) throw err;
    });
  return sample!;
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(samples: Sample[]) {
  const wall = samples.map((s) => s.wallMs).sort((a, b) => a - b);
  return {
    cpu: samples.reduce((sum, s) => sum + s.cpuMs, 0) / samples.length,
    p50: percentile(wall, 50),
    p95: percentile(wall, 95),
  };
}

const database = await createTestDatabase();
const pool = new pg.Pool({ connectionString: database.url, max: POOL_SIZE });
const prismaPool = new pg.Pool({ connectionString: database.url, max: POOL_SIZE });
const db = createDbOnPool(prismaPool);
try {
  await seed(pool);
  const list = await statements(pool);
  const perRound = Math.max(1, Math.ceil(ITERATIONS / ROUNDS));
  process.stdout.write(
    `data layer: the same SQL and values through pg pool.query and Prisma $queryRawUnsafe, ${perRound * ROUNDS} calls each` +
      ` (${ROUNDS} alternating rounds, ${WARMUP} warm-up calls not counted), each in a rolled-back transaction\n`,
  );
  for (const s of list) {
    const pgRuns: Sample[] = [];
    const prismaRuns: Sample[] = [];
    for (let i = 0; i < WARMUP; i++) {
      const [a, b] = [await viaPg(pool, s), await viaPrisma(db, s)];
      // Same statement, same state: both must return (or change) as many rows, or the comparison is off.
      if (a.rows !== b.rows) throw new Error(`${s.name}: pg returned ${a.rows} rows, Prisma ${b.rows}`);
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? (['pg', 'prisma'] as const) : (['prisma', 'pg'] as const);
      for (const who of order)
        for (let i = 0; i < perRound; i++) {
          if (who === 'pg') pgRuns.push(await viaPg(pool, s));
          else prismaRuns.push(await viaPrisma(db, s));
        }
    }
    const a = summary(pgRuns);
    const b = summary(prismaRuns);
    const f = (ms: number) => ms.toFixed(3);
    const x = (n: number) => `${n.toFixed(2)}x`;
    process.stdout.write(
      `${s.name.padEnd(36)} pg cpu ${f(a.cpu)} ms  p50 ${f(a.p50)} ms  p95 ${f(a.p95)} ms | ` +
        `prisma cpu ${f(b.cpu)} ms  p50 ${f(b.p50)} ms  p95 ${f(b.p95)} ms | ` +
        `prisma/pg cpu ${x(b.cpu / a.cpu)}  p50 ${x(b.p50 / a.p50)}  p95 ${x(b.p95 / a.p95)}  (${pgRuns.length} calls each, ${pgRuns[0]?.rows ?? 0} rows)\n`,
    );
  }
} finally {
  await db.$disconnect();
  await prismaPool.end().catch(() => undefined);
  await pool.end();
  await database.drop();
}
