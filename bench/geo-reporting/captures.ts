// Captures per second against a bare fastify route, in the same run on the same machine (target: the capture
// route at >= 50% of the bare route). Each server runs in its own process; autocannon drives it from this one.
// The Postgres variant needs the local servers (`bash scripts/infra.sh up`) and writes to a throw-away
// database. Usage: pnpm --filter @single/bench geo-captures   (BENCH_SECONDS=10 by default)
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '@single/testing';
import autocannon from 'autocannon';
import pg from 'pg';
import { publicAddresses } from './addresses.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 64;
const TARGET_RATIO = 0.5;
const server = fileURLToPath(new URL('./capture-server.ts', import.meta.url));
const { v4, v6 } = publicAddresses(2_048);
const clients = v4.flatMap((ip, i) => (i % 4 === 3 ? [v6[i]!] : [ip])); // one fan in four on IPv6
const body = JSON.stringify({ shopDomain: 'single-demo.myshopify.com', checkoutToken: 'c1a2b3c4d5e6f708192a3b4c5d6e7f80' });

async function start(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--conditions=source', server], {
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
  };
}

/** The server's CPU time (user + system), in microseconds. */
function cpu(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (usage) => resolve((usage as NodeJS.CpuUsage).user + (usage as NodeJS.CpuUsage).system));
    child.send('cpu');
  });
}

async function run(name: string, env: Record<string, string>) {
  const { child, url } = await start(env);
  try {
    await load(url).catch(() => undefined); // warm-up: JIT, GeoIP decoder cache, connection pool
    const before = await cpu(child);
    const result = await load(url);
    const cpuPerRequest = (await cpu(child)) - before;
    // Requests per second of server CPU: what one core sustains, whatever else runs on the box.
    const perCore = (result.requests * 1e6) / cpuPerRequest;
    console.log(
      `${name.padEnd(28)} ${Math.round(result.rps).toLocaleString('en-US').padStart(8)} req/s  ` +
        `${Math.round(perCore).toLocaleString('en-US').padStart(8)} req per CPU-second  p99 ${String(result.p99).padStart(4)} ms  ` +
        `non-2xx ${result.non2xx}  errors ${result.errors}`,
    );
    return { ...result, perCore };
  } finally {
    child.kill('SIGTERM');
  }
}

console.log(`node ${process.version}; ${CONNECTIONS} connections, ${SECONDS} s per run after a warm-up run`);
const bare = await run('bare fastify route', { BENCH_MODE: 'bare' });
const memory = await run('captures (in-memory store)', { BENCH_MODE: 'captures' });
let postgres: Awaited<ReturnType<typeof run>> | undefined;
const database = await createTestDatabase().catch((error: unknown) => {
  console.log(`captures (Postgres store)    skipped: ${(error as Error).message}`);
  return undefined;
});
if (database) {
  try {
    postgres = await run('captures (Postgres store)', { BENCH_MODE: 'captures', DATABASE_URL: database.url });
    const check = new pg.Client({ connectionString: database.url });
    await check.connect();
    const { rows } = await check.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE precision <> 'none')::int AS located FROM geo_capture`);
    await check.end();
    console.log(`  stored ${rows[0].n.toLocaleString('en-US')} captures, ${rows[0].located.toLocaleString('en-US')} located`);
  } finally {
    await database.drop();
  }
}
const measured = postgres ?? memory;
const ratio = measured.rps / bare.rps;
const cpuRatio = measured.perCore / bare.perCore;
// Judged on server CPU: on a shared 2-core machine autocannon competes with the server for the same cores,
// so wall-clock req/s mostly measures the load generator's share.
const failed = cpuRatio < TARGET_RATIO || measured.non2xx > 0 || measured.errors > 0;
console.log(
  `captures / bare: ${(ratio * 100).toFixed(0)}% of req/s, ${(cpuRatio * 100).toFixed(0)}% of req per CPU-second ` +
    `(target >= ${TARGET_RATIO * 100}%) ${failed ? 'BELOW TARGET' : 'ok'}`,
);
if (failed) process.exitCode = 1;
