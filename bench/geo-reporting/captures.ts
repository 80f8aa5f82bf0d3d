// Captures per second against a bare fastify route, in the same run on the same machine (target: the capture
// route at >= 50% of the bare route). Each server runs in its own process; autocannon drives it from this one.
// The Postgres variant needs the local servers (`bash scripts/infra.sh up`) and writes to a throw-away
// database. Usage: pnpm --filter @single/bench geo-captures   (BENCH_SECONDS=5, BENCH_ROUNDS=5 by default)
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '@single/testing';
import autocannon from 'autocannon';
import pg from 'pg';
import { publicAddresses } from './addresses.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const TARGET_RATIO = 0.5;
const server = fileURLToPath(new URL('./capture-server.ts', import.meta.url));
const { v4, v6 } = publicAddresses(2_048);
const clients = v4.flatMap((ip, i) => (i % 4 === 3 ? [v6[i]!] : [ip])); // one fan in four on IPv6
const body = JSON.stringify({
  shopDomain: 'single-demo.myshopify.com',
  checkoutToken: 'c1a2b3c4d5e6f708192a3b4c5d6e7f80',
});

async function start(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  // BENCH_NODE_ARGS: extra flags for the servers, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile them.
  const extra = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...extra, '--conditions=source', server], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    child.once('exit', () => reject(new Error('capture server exited before listening')));
    lines.on('line', (line) => {
      try {
        const { listening } = JSON.parse(line);
        if (listening) {
          lines.close();
          child.stdout!.resume();
          resolve({ child, url: listening });
        }
      } catch {}
    });
  });
}

async function load(url: string) {
  let n = 0;
  const result = await autocannon({
    url: `${url}/v1/geo/captures`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => ({
          ...request,
          body,
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `${clients[n++ % clients.length]}` },
        }),
      },
    ],
  });
  return {
    rps: result.requests.average,
    requests: result.requests.total,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    codes: Object.keys(result.statusCodeStats ?? {}).filter((code) => !code.startsWith('2')),
  };
}

/** The server's CPU time (user + system), in microseconds. */
function cpu(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (usage) => resolve((usage as NodeJS.CpuUsage).user + (usage as NodeJS.CpuUsage).system));
    child.send('cpu');
  });
}

interface Variant {
  name: string;
  env: Record<string, string>;
  server?: { child: ChildProcess; url: string };
  best?: { rps: number; perCore: number; p99: number; non2xx: number; errors: number; codes: string[] };
}

/** One measured load on an already warm server; keeps the best figures across rounds. */
async function measure(variant: Variant) {
  const { child, url } = variant.server!;
  const before = await cpu(child);
  const result = await load(url);
  // Requests per second of server CPU: what one core sustains, whatever else runs on the box.
  const perCore = (result.requests * 1e6) / ((await cpu(child)) - before);
  const best = variant.best;
  variant.best = {
    rps: Math.max(best?.rps ?? 0, result.rps),
    perCore: Math.max(best?.perCore ?? 0, perCore),
    p99: Math.min(best?.p99 ?? Number.POSITIVE_INFINITY, result.p99),
    non2xx: (best?.non2xx ?? 0) + result.non2xx,
    errors: (best?.errors ?? 0) + result.errors,
    codes: [...new Set([...(best?.codes ?? []), ...result.codes])],
  };
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
console.log(
  `node ${process.version}; ${CONNECTIONS} connections; best of ${ROUNDS} rounds x ${SECONDS} s per server, ` +
    'servers taking turns (the machine is shared: contention only ever slows a run down)',
);
const variants: Variant[] = [
  { name: 'bare fastify route', env: { BENCH_MODE: 'bare' } },
  { name: 'same route on @single/http', env: { BENCH_MODE: 'platform' } },
  { name: 'captures (in-memory store)', env: { BENCH_MODE: 'captures' } },
];
const database = await createTestDatabase().catch((error: unknown) => {
  console.log(`captures (Postgres store) skipped: ${(error as Error).message}`);
  return undefined;
});
if (database)
  variants.push({ name: 'captures (Postgres store)', env: { BENCH_MODE: 'captures', DATABASE_URL: database.url } });
try {
  for (const variant of variants) {
    variant.server = await start(variant.env);
    await load(variant.server.url); // warm-up: JIT, GeoIP decoder cache, connection pool
  }
  for (let round = 0; round < ROUNDS; round++) for (const variant of variants) await measure(variant);
} finally {
  for (const variant of variants) variant.server?.child.kill('SIGTERM');
}
for (const { name, best } of variants) {
  console.log(
    `${name.padEnd(28)} ${Math.round(best!.rps).toLocaleString('en-US').padStart(8)} req/s  ` +
      `${Math.round(best!.perCore).toLocaleString('en-US').padStart(8)} req per CPU-second  p99 ${String(best!.p99).padStart(4)} ms  ` +
      `non-2xx ${best!.non2xx}${best!.codes.length ? ` (${best!.codes.join(', ')})` : ''}  errors ${best!.errors}`,
  );
}
if (database) {
  const check = new pg.Client({ connectionString: database.url });
  await check.connect();
  const { rows } = await check.query(
    `SELECT count(*)::int AS n, count(*) FILTER (WHERE precision <> 'none')::int AS located FROM geo_capture`,
  );
  await check.end();
  await database.drop();
  console.log(
    `  Postgres: ${rows[0].n.toLocaleString('en-US')} captures stored, ${rows[0].located.toLocaleString('en-US')} located`,
  );
}
const bare = variants[0]!.best!;
const measured = variants[variants.length - 1]!.best!;
const ratio = measured.rps / bare.rps;
const cpuRatio = measured.perCore / bare.perCore;
// Judged on server CPU: on a shared 2-core machine autocannon competes with the server for the same cores,
// so wall-clock req/s mostly measures the load generator's share.
const failed = cpuRatio < TARGET_RATIO || measured.non2xx > 0 || measured.errors > 0;
console.log(
  `${variants[variants.length - 1]!.name} / bare: ${(ratio * 100).toFixed(0)}% of req/s, ` +
    `${(cpuRatio * 100).toFixed(0)}% of req per CPU-second (target >= ${TARGET_RATIO * 100}%) ${failed ? 'BELOW TARGET' : 'ok'}`,
);
if (failed) process.exitCode = 1;
