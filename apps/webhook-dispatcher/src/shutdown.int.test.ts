import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createTestRedisPrefix, testRedisUrl } from '@single/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, SECRET, signedRequest, startHarness, uniqueOrderBody } from './test-support/harness.ts';
import { eventually } from './test-support/servers.ts';

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  return port;
}

let h: Harness | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  child?.kill('SIGKILL');
  await h?.close();
});

describe('SIGTERM under load', () => {
  it('finishes in-flight requests and loses no accepted delivery', async () => {
    h = await startHarness();
    const port = await freePort();
    child = spawn(process.execPath, ['--conditions=source', fileURLToPath(new URL('./main.ts', import.meta.url))], {
      env: {
        ...process.env,
        PORT: String(port),
        DATABASE_URL: h.database.url,
        RABBITMQ_URL: h.vhost.url,
        REDIS_URL: testRedisUrl(),
        REDIS_KEY_PREFIX: createTestRedisPrefix(),
        SHOPIFY_WEBHOOK_SECRETS: SECRET,
        LOG_LEVEL: 'warn',
        SHUTDOWN_TIMEOUT_MS: '8000',
        DD_TRACE_ENABLED: 'false',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const base = `http://127.0.0.1:${port}`;
    await eventually(async () => (await fetch(`${base}/health/ready`).catch(() => null))?.status === 200, 20_000);

    const requests = Array.from({ length: 600 }, (_, i) => signedRequest('orders/paid', uniqueOrderBody(10_000 + i)));
    const outcomes: { id: string; status: number | string }[] = [];
    let sent = 0;
    const worker = async () => {
      while (sent < requests.length) {
        const r = requests[sent++]!;
        const id = r.headers['x-shopify-webhook-id'];
        try {
          const res = await fetch(`${base}${r.url}`, {
            method: 'POST',
            headers: r.headers as Record<string, string>,
            body: r.payload,
          });
          const body = (await res.json()) as { status?: string };
          outcomes.push({ id, status: res.status === 200 ? (body.status ?? 'unknown') : res.status });
        } catch {
          outcomes.push({ id, status: 'refused' });
        }
      }
    };
    const load = Promise.all(Array.from({ length: 32 }, worker));
    await eventually(() => outcomes.length >= 150, 30_000);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await load;
    const [code] = await exited;
    expect(code).toBe(0);

    const accepted = outcomes.filter((o) => o.status === 'accepted').map((o) => o.id);
    expect(accepted.length).toBeGreaterThanOrEqual(150);
    // Every answer was a 200 or a refused connection after the listener closed: never a 5xx mid-request.
    expect(outcomes.every((o) => o.status === 'accepted' || o.status === 'refused' || o.status === 503)).toBe(true);
    const { rows } = await h.pool.query<{ webhook_id: string; owed: boolean }>(
      "SELECT d.webhook_id, d.status = 'published' OR o.id IS NOT NULL AS owed FROM webhook_delivery d LEFT JOIN dispatch_outbox o ON o.delivery_id = d.id",
    );
    const stored = new Map(rows.map((r) => [r.webhook_id, r.owed]));
    for (const id of accepted) expect(stored.get(id)).toBe(true);
  });
});
