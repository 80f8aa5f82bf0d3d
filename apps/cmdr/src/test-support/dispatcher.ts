import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { shopifyWebhookHeaders } from '@single/testing';
import { REPO_ROOT } from './run.ts';

export const WEBHOOK_SECRET = 'cmdr-test-webhook-secret-0123456789';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface RunningDispatcher {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/** The real webhook dispatcher (its main.ts), on test servers, as a child process. */
export async function startDispatcher(env: Record<string, string>): Promise<RunningDispatcher> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--conditions=source', 'src/main.ts'], {
    cwd: join(REPO_ROOT, 'apps/webhook-dispatcher'),
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      SHOPIFY_WEBHOOK_SECRETS: WEBHOOK_SECRET,
      DD_TRACE_ENABLED: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dispatcher exited ${child.exitCode}: ${output}`);
    const ready = await fetch(`${url}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`dispatcher not ready: ${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The shop sendWebhook delivers for: the dispatcher takes deliveries only for a shop with a row in `shop`. */
export const TEST_SHOP = 'cmdr-test.myshopify.com';

/** A signed orders/paid delivery, as Shopify sends it. */
export async function sendWebhook(url: string, orderId: number): Promise<Response> {
  const body = JSON.stringify({
    id: orderId,
    admin_graphql_api_id: `gid://shopify/Order/${orderId}`,
    name: `#${orderId % 10_000}`,
    financial_status: 'paid',
    updated_at: new Date().toISOString(),
    line_items: [],
  });
  return fetch(`${url}/webhooks/shopify`, {
    method: 'POST',
    headers: shopifyWebhookHeaders('orders/paid', body, {
      shopDomain: TEST_SHOP,
      secret: WEBHOOK_SECRET,
    }),
    body,
  });
}

export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
