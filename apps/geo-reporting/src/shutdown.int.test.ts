import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createKafkaTestContext, createTestDatabase, type TestDatabase } from '@single/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { geoipFixture } from './test-support/fixtures.ts';

// The storm's rolling restart: geo-reporting did not stop within SHUTDOWN_TIMEOUT_MS on SIGTERM ("killed by
// timeout", exit 1), a failed container on every deploy. Here the process as production runs it, with a
// kept-alive connection and a request whose body never ends: it must exit 0 well inside the deadline.
const SHUTDOWN_TIMEOUT_MS = 10_000;

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

let child: ChildProcess | undefined;
let database: TestDatabase | undefined;
const kafka = createKafkaTestContext();
afterEach(async () => {
  child?.kill('SIGKILL');
  await database?.drop();
  await kafka.cleanup();
});

describe('geo-reporting on SIGTERM', () => {
  it('exits 0 within the shutdown deadline with a keep-alive connection and an unfinished request open', async () => {
    database = await createTestDatabase();
    const port = await freePort();
    let output = '';
    child = spawn(process.execPath, ['--conditions=source', 'src/main.ts'], {
      cwd: fileURLToPath(new URL('../', import.meta.url)),
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: database.url,
        KAFKA_BROKERS: kafka.brokers.join(','),
        SALES_TOPIC: kafka.topic(),
        SALES_CONSUMER_GROUP: kafka.groupId(),
        GEOIP_DB_PATHS: geoipFixture('GeoIP2-City-Test'),
        GEOIP_RELOAD_INTERVAL_MS: '0',
        TRUSTED_PROXIES: '127.0.0.1/32',
        LOG_LEVEL: 'warn',
        DD_TRACE_ENABLED: 'false',
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    while ((await fetch(`${base}/health/ready`).catch(() => null))?.status !== 200) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`not ready:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    // A kept-alive connection, idle after its answer.
    const agent = new http.Agent({ keepAlive: true });
    const live = await new Promise<number>((resolve, reject) =>
      http.get(`${base}/health/live`, { agent }, (res) => resolve(res.resume().statusCode ?? 0)).on('error', reject),
    );
    expect(live).toBe(200);
    // A capture whose body never ends (a slow or stalled client).
    const stalled = http.request(`${base}/v1/geo/captures`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '200' },
    });
    stalled.on('error', () => {}); // cut by the shutdown
    stalled.write('{"shopDomain":');
    await new Promise((r) => setTimeout(r, 300)); // the request has reached the server

    const started = Date.now();
    child.kill('SIGTERM');
    const [code] = await exited;
    const ms = Date.now() - started;
    agent.destroy();
    expect(output).not.toContain('killed by timeout');
    expect(code).toBe(0);
    expect(ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS - 2_000);
  }, 60_000);
});
