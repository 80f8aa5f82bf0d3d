// Artist API benchmark: 1,000,000 orders and 10,000,000 sale rows in a dedicated database, then the p95
// latency of the sales summary of one release over a chart week and of an orders list page, over real HTTP.
//   pnpm --filter @single/bench run artist-api            (seeds once, reuses the database afterwards)
//   pnpm --filter @single/bench run artist-api -- --reseed
import { readFile } from 'node:fs/promises';
import { buildApp, issueApiKey } from '@single/artist-api';
import { seedChartRules } from '@single/artist-api/test-support/seed';
import { createMemoryCache } from '@single/cache';
import { applyMigrations } from '@single/db/migrations';
import { serve } from '@single/http';
import { createLogger, silentLogger } from '@single/logger';
import { databaseUrl, testEnv } from '@single/testing';
import { compileTrustedProxies } from '@single/trusted-proxy';
import pg from 'pg';

const DATABASE = 'bench_artist_api';
// `--only summary,orders,redemption` runs only those measurements (sold vs reported alone takes minutes).
const onlyArg = process.argv.find((a) => a.startsWith('--only'));
const only = onlyArg ? new Set((onlyArg.split('=')[1] ?? '').split(',')) : undefined;
const wanted = (name: string) => !only || only.has(name);
const REQUESTS = 1_000;
const BENCH_ACCOUNT = '00000000-0000-4000-8000-000000000000';

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testEnv.DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function prepare(url: string, reseed: boolean) {
  const exists = await admin(
    async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE])).rowCount === 1,
  );
  if (exists && !reseed) {
    const probe = new pg.Client({ connectionString: url });
    await probe.connect();
    const { rows } = await probe
      .query(`SELECT (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM sale_line) AS sales`)
      .catch(() => ({ rows: [] as { orders: string; sales: string }[] }));
    await probe.end();
    if (rows[0]?.orders === '1000000' && rows[0]?.sales === '10000000') return false;
  }
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`));
  await admin((c) => c.query(`CREATE DATABASE ${DATABASE}`));
  await applyMigrations(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const started = Date.now();
  await client.query(await readFile(new URL('./seed.sql', import.meta.url), 'utf8'));
  await client.end();
  process.stdout.write(
    `seeded 1,000,000 orders and 10,000,000 sale lines in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
  );
  return true;
}

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function measure(name: string, urls: () => string, headers: Record<string, string>) {
  for (let i = 0; i < 50; i++) await (await fetch(urls(), { headers })).arrayBuffer(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const url = urls();
    const t = performance.now();
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    times.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  }
  times.sort((a, b) => a - b);
  const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
  process.stdout.write(
    `${name.padEnd(52)} p50 ${fmt(percentile(times, 50))}  p95 ${fmt(percentile(times, 95))}  p99 ${fmt(percentile(times, 99))}\n`,
  );
  return percentile(times, 95);
}

async function measurePost(name: string, next: () => { url: string; body: string }) {
  const headers = { accept: 'application/json', 'content-type': 'application/json' };
  const once = async () => {
    const { url, body } = next();
    const t = performance.now();
    const res = await fetch(url, { method: 'POST', headers, body });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    return performance.now() - t;
  };
  for (let i = 0; i < 50; i++) await once(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) times.push(await once());
  times.sort((a, b) => a - b);
  const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
  process.stdout.write(
    `${name.padEnd(52)} p50 ${fmt(percentile(times, 50))}  p95 ${fmt(percentile(times, 95))}  p99 ${fmt(percentile(times, 99))}\n`,
  );
  return percentile(times, 95);
}

const url = databaseUrl(DATABASE);
await prepare(url, process.argv.includes('--reseed'));
const pool = new pg.Pool({ connectionString: url, max: 10 });
// Luminate's rules, as geo-reporting seeds them at start-up: without them sold-vs-reported is 404 unknown_chart.
await seedChartRules(pool);
const cache = createMemoryCache();
// Summaries uncached (TTL 0): the figures are the database path; a cache hit is a Redis round trip.
const api = buildApp({
  logger: silentLogger(),
  pool,
  cache,
  // Redemption only checks that the file exists; it never streams it.
  storage: { open: async () => ({ kind: 'redirect', url: 'https://files.invalid/x' }) },
  trustedProxies: compileTrustedProxies([]),
  salesCacheTtlMs: 0,
  limits: { perKeyPerMinute: 1_000_000, downloadsPerIpPerMinute: 1_000_000, downloadsPerTokenPerMinute: 1_000_000 },
});
// Errors at error level: the server's close-with-grace handler catches this script's own failures too, and a
// silent logger made them exit 1 without a word.
const server = await serve(api, {
  host: '127.0.0.1',
  port: 0,
  logger: createLogger({ level: 'error' }),
  shutdownTimeoutMs: 5_000,
});
const { rows } = await pool.query(`SELECT id FROM release r WHERE artist_id = '00000000-0000-4000-9000-000000000000'`);
const releases = rows.map((r: { id: string }) => r.id);
const { secret } = await issueApiKey(pool, { accountId: BENCH_ACCOUNT, name: 'bench', scopes: ['read'] });
const headers = { authorization: `Bearer ${secret}` };
const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;
const fridays = Array.from({ length: 50 }, (_, i) => new Date(Date.UTC(2026, 0, 2 + i * 7)).toISOString().slice(0, 10));

// Cursors deep into the benchmark account's 30,000 orders.
const cursors: string[] = [];
let cursor: string | null = null;
for (let i = 0; i < 40; i++) {
  const page = (await (
    await fetch(`${server.address}/v1/orders?limit=50${cursor ? `&cursor=${cursor}` : ''}`, { headers })
  ).json()) as { nextCursor: string | null };
  cursor = page.nextCursor;
  if (cursor) cursors.push(cursor);
}

process.stdout.write(`artist API, ${REQUESTS} sequential requests each, over HTTP on 127.0.0.1\n`);
const skipped = Number.NaN;
const summary = wanted('summary')
  ? await measure(
      'sales summary, one release, one chart week',
      () => `${server.address}/v1/sales/summary?releaseId=${pick(releases)}&week=${pick(fridays)}&groupBy=day`,
      headers,
    )
  : skipped;
if (wanted('sold-vs-reported')) {
  await measure(
    'sold vs reported, one release, one chart week',
    () => `${server.address}/v1/sales/sold-vs-reported?releaseId=${pick(releases)}&week=${pick(fridays)}`,
    headers,
  );
}
const firstPage = wanted('orders')
  ? await measure('orders list, first page (50)', () => `${server.address}/v1/orders?limit=50`, headers)
  : skipped;
const deepPage = wanted('orders')
  ? await measure(
      'orders list, page by cursor (50)',
      () => `${server.address}/v1/orders?limit=50&cursor=${pick(cursors)}`,
      headers,
    )
  : skipped;
if (wanted('orders')) {
  await measure(
    'orders list, filtered (refunded)',
    () => `${server.address}/v1/orders?limit=50&financialStatus=refunded`,
    headers,
  );
}

// Download redemption (POST /d/:token/download): 200 grants of the benchmark account, each on a release of
// 10 tracks; their downloads are cleared first so every run counts from the same state.
await pool.query(await readFile(new URL('./downloads.sql', import.meta.url), 'utf8'));
const tokens = Array.from({ length: 200 }, (_, i) => `bench-download-token-${String(i).padStart(4, '0')}`);
const redemption = !wanted('redemption')
  ? skipped
  : await measurePost('download redemption (POST /d/:token/download)', () => ({
      url: `${server.address}/d/${pick(tokens)}/download`,
      body: JSON.stringify({ format: 'mp3', track: Math.random() < 0.5 ? null : 1 + Math.floor(Math.random() * 10) }),
    }));

const verdict = (ok: boolean) => (ok ? 'ok' : 'OVER TARGET');
process.stdout.write(
  `target sales summary p95 <= 50 ms: ${verdict(summary <= 50)}; download redemption p95 ${redemption.toFixed(1)} ms; orders page p95 <= 20 ms: ${verdict(Math.max(firstPage, deepPage) <= 20)}\n`,
);
await server.shutdown();
await cache.close();
await pool.end();
