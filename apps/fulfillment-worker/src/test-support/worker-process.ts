import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { testEnv } from '@single/testing';

const workerMain = fileURLToPath(new URL('../main.ts', import.meta.url));

/** The worker as production runs it: `src/main.ts` in its own process, configured through the environment. */
export interface WorkerProcess {
  pid: number;
  port: number;
  /** Everything it logged (stdout and stderr), for failure messages. */
  output(): string;
  /** Resolves once /health/ready answers 200 (database and broker reachable, consumers started). */
  ready(timeoutMs?: number): Promise<void>;
  /** SIGKILL: no graceful shutdown, in-flight handlers die with their transactions and unacked messages. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the graceful exit (SIGKILL after the deadline). */
  stop(timeoutMs?: number): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Spawns `node --conditions=source src/main.ts` (like bench/fulfillment). Test-scale defaults: short
 * polling, a fast retry ladder, warn-level logs; `env` adds or overrides (DATABASE_URL, RABBITMQ_URL,
 * SMTP_URL, SALES_TOPIC, RETRY_DELAYS_MS...).
 */
export async function spawnWorker(env: Record<string, string>): Promise<WorkerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--conditions=source', workerMain], {
    env: {
      ...process.env,
      KAFKA_BROKERS: testEnv.KAFKA_BROKERS,
      DOWNLOAD_TOKEN_SECRETS: 'restart-secret-restart-secret-restart-0001',
      FAN_HASH_SECRET: 'restart-fan-hash-secret-restart-fan-hash-01',
      DOWNLOAD_BASE_URL: 'https://dl.single.example',
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DD_TRACE_ENABLED: 'false',
      POLL_INTERVAL_MS: '100',
      SHUTDOWN_TIMEOUT_MS: '10000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const pid = child.pid!;
  return {
    pid,
    port,
    output: () => log,
    async ready(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}:\n${log}`);
        const status = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
          (r) => r.status,
          () => 0,
        );
        if (status === 200) return;
        if (Date.now() > deadline) throw new Error(`worker not ready after ${timeoutMs} ms:\n${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async kill() {
      const done = exited(child);
      child.kill('SIGKILL');
      await done;
    },
    async stop(timeoutMs = 15_000) {
      const done = exited(child);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await done;
      clearTimeout(timer);
    },
  };
}
