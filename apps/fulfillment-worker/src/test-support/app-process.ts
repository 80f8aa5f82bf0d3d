import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The apps a platform test can run, each from its own folder (so its own dependencies resolve). */
export type AppName = 'webhook-dispatcher' | 'fulfillment-worker' | 'geo-reporting' | 'artist-api';

/** An app as production runs it: `src/main.ts` in its own process with the tracer loaded first. */
export interface AppProcess {
  name: AppName;
  pid: number;
  port: number;
  url: string;
  /** Everything it printed (stdout and stderr; the last 200 KB), for assertions on logs and failure messages. */
  output(): string;
  /** How it ended (undefined while it runs): the storm tells a crash from a stop or a kill it made. */
  exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Resolves once /health/ready answers 200. */
  ready(timeoutMs?: number): Promise<void>;
  /** SIGTERM and wait for the graceful exit (SIGKILL after the deadline). */
  stop(timeoutMs?: number): Promise<void>;
}

export async function freePort(): Promise<number> {
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
 * Spawns `node --conditions=source --import @single/tracing/register src/main.ts` in `apps/<name>`, as
 * `cmdr up` and the Dockerfile start it (dd-trace loaded before any instrumented module). `env` is the app's
 * whole configuration on top of this process's environment; HOST and PORT are chosen here.
 */
export async function spawnApp(
  name: AppName,
  env: Record<string, string>,
  options: {
    /** Every line it prints is also appended here (output() keeps only the last 200 KB). */
    logFile?: string;
  } = {},
): Promise<AppProcess> {
  const port = await freePort();
  const cwd = fileURLToPath(new URL(`../../../${name}/`, import.meta.url));
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', '@single/tracing/register', 'src/main.ts'],
    {
      cwd,
      env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), SHUTDOWN_TIMEOUT_MS: '10000', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  const file = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  child.once('exit', () => file?.end());
  const append = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-200_000);
    file?.write(chunk);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const url = `http://127.0.0.1:${port}`;
  return {
    name,
    pid: child.pid!,
    port,
    url,
    output: () => log,
    exit: () =>
      child.exitCode !== null || child.signalCode !== null
        ? { code: child.exitCode, signal: child.signalCode }
        : undefined,
    async ready(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${log}`);
        const status = await fetch(`${url}/health/ready`).then(
          (r) => r.status,
          () => 0,
        );
        if (status === 200) return;
        if (Date.now() > deadline) throw new Error(`${name} not ready after ${timeoutMs} ms:\n${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
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
