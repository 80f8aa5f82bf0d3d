import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { CmdrError, ExitCode, usageError } from '../exit-codes.ts';
import { LOCAL_SERVERS } from '../ops/env.ts';
import type { Context } from './context.ts';

/**
 * Local-only stand-ins for the secrets the apps require, used when the environment does not set them.
 * They are public by design: never use them outside a laptop.
 */
const LOCAL_SECRETS: Record<string, string> = {
  SHOPIFY_WEBHOOK_SECRETS: 'local-shopify-webhook-secret-not-for-production',
  DOWNLOAD_TOKEN_SECRETS: 'local-download-token-secret-not-for-production-0000',
  FAN_HASH_SECRET: 'local-fan-hash-secret-not-for-production-00000000',
  SESSION_SECRET: 'local-dashboard-session-secret-not-for-production',
};

interface LocalApp {
  name: string;
  dir: string;
  port: number;
  /** The source entry: src/main.ts, or src/server/main.ts for an app with a web part (the dashboard). */
  entry: string;
}

const ENTRIES = ['src/main.ts', 'src/server/main.ts'];

function localApps(ctx: Context, only: string[] | undefined): LocalApp[] {
  const ws = ctx.workspace();
  const apps: LocalApp[] = [];
  for (const project of ws.file.projects) {
    if (only && !only.includes(project.name)) continue;
    const dir = join(ws.root, 'apps', project.name);
    const entry = ENTRIES.find((file) => existsSync(join(dir, file)));
    if (entry === undefined) {
      ctx.output.info(`skipping ${project.name}: apps/${project.name}/src/main.ts does not exist`);
      continue;
    }
    const values = parse(readFileSync(join(ws.root, project.chart, 'values.yaml'), 'utf8')) as {
      containerPort: number;
    };
    apps.push({ name: project.name, dir, port: values.containerPort, entry });
  }
  const unknown = (only ?? []).filter((name) => !ws.file.projects.some((p) => p.name === name));
  if (unknown.length > 0) throw new CmdrError(`unknown project(s): ${unknown.join(', ')}`, ExitCode.notFound);
  return apps;
}

function run(ctx: Context, command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => ctx.io.err(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => ctx.io.err(chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new CmdrError(`${command} ${args.join(' ')} exited with ${code}`, ExitCode.failure)),
    );
  });
}

function prefixLines(name: string, write: (s: string) => void) {
  let pending = '';
  return (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) write(`[${name}] ${line}\n`);
  };
}

/** sysexits' EX_CONFIG, what loadConfigOrExit exits with: say it in words. */
const EXIT_CONFIG = 78;

function exitText(child: ChildProcess): string {
  if (child.signalCode !== null) return `was stopped by ${child.signalCode}`;
  if (child.exitCode === EXIT_CONFIG)
    return `exited with ${EXIT_CONFIG}: invalid configuration (its output above names each variable)`;
  return `exited with ${child.exitCode}`;
}

/**
 * Polls the app's readiness until it answers, it exits, or `stopped` aborts (another app failed: `up` fails
 * at once with that app's reason instead of waiting out every other app's timeout).
 */
async function waitReady(app: LocalApp, child: ChildProcess, timeoutMs: number, stopped: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stopped.aborted) {
    // A child stopped by a signal has no exit code: check both, or a killed app is polled until the deadline.
    if (child.exitCode !== null || child.signalCode !== null)
      throw new CmdrError(`${app.name} ${exitText(child)}`, ExitCode.failure);
    try {
      const response = await fetch(`http://127.0.0.1:${app.port}/health/ready`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (stopped.aborted) return;
  throw new CmdrError(`${app.name} not ready on :${app.port} after ${timeoutMs / 1000} s`, ExitCode.unavailable);
}

/** Whether nothing listens on 127.0.0.1:`port` (the apps bind there): the answer of a listen attempt. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function stop(children: Map<string, ChildProcess>): Promise<void> {
  return Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  ).then(() => undefined);
}

export function registerUpCommand(program: Command, context: () => Context) {
  program
    .command('up')
    .description('the local platform in one command: servers, migrations, every app (Ctrl-C stops the apps)')
    .option('--no-infra', 'do not run scripts/infra.sh up (servers already running)')
    .option('--no-migrate', 'skip database migrations')
    .option('--only <apps>', 'comma-separated projects to start')
    .option('--exit-when-ready', 'stop the apps and exit 0 once every app is ready (smoke test)')
    .option('--ready-timeout <seconds>', 'how long each app may take to become ready', '60')
    .option('--port-offset <n>', 'added to every app port (run a second platform beside the first)', '0')
    .action(
      async (options: {
        infra: boolean;
        migrate: boolean;
        only?: string;
        exitWhenReady?: boolean;
        readyTimeout: string;
        portOffset: string;
      }) => {
        const ctx = context();
        const root = ctx.workspace().root;
        // A server the environment does not name is the local one of scripts/infra.sh, as for every other
        // cmdr command: a fresh clone needs no variables.
        const env = { ...LOCAL_SERVERS, ...ctx.io.env } as NodeJS.ProcessEnv;
        const offset = Number(options.portOffset);
        if (!Number.isInteger(offset) || offset < 0 || offset > 60_000)
          throw usageError('--port-offset must be 0..60000');
        const apps = localApps(
          ctx,
          options.only
            ?.split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        ).map((a) => ({
          ...a,
          port: a.port + offset,
        }));
        const readyTimeout = Number(options.readyTimeout);
        if (!Number.isInteger(readyTimeout) || readyTimeout < 1 || readyTimeout > 3600)
          throw usageError('--ready-timeout must be a whole number of seconds, 1..3600');
        // A port something else holds (an earlier `cmdr up`, another checkout's app) would answer the readiness
        // poll for an app that never bound it: `up` would report it ready at another program's URL.
        const taken = [];
        for (const app of apps) if (!(await portFree(app.port))) taken.push(`${app.name} :${app.port}`);
        if (taken.length > 0) {
          throw new CmdrError(
            `port already in use: ${taken.join(', ')}; stop what listens there or pass --port-offset`,
            ExitCode.unavailable,
          );
        }
        if (options.infra) {
          ctx.output.info('starting servers (scripts/infra.sh up)');
          await run(ctx, 'bash', ['scripts/infra.sh', 'up'], root, env);
        }
        if (options.migrate) {
          ctx.output.info('applying database migrations');
          await run(
            ctx,
            process.execPath,
            ['--conditions=source', 'scripts/migrate.ts', 'deploy'],
            join(root, 'packages/db'),
            env,
          );
        }
        const children = new Map<string, ChildProcess>();
        const shutdown = () => void stop(children);
        process.once('SIGINT', shutdown);
        process.once('SIGTERM', shutdown);
        try {
          for (const app of apps) {
            const child = spawn(
              process.execPath,
              ['--conditions=source', '--import', '@single/tracing/register', app.entry],
              {
                cwd: app.dir,
                env: { ...LOCAL_SECRETS, ...env, PORT: String(app.port), HOST: '127.0.0.1', DD_ENV: 'local' },
                stdio: ['ignore', 'pipe', 'pipe'],
              },
            );
            child.stdout?.on('data', prefixLines(app.name, ctx.io.err));
            child.stderr?.on('data', prefixLines(app.name, ctx.io.err));
            children.set(app.name, child);
          }
          const progress = ctx.output.progress('ready');
          let ready = 0;
          const failed = new AbortController();
          await Promise.all(
            apps.map(async (app) => {
              const child = children.get(app.name) as ChildProcess;
              try {
                await waitReady(app, child, readyTimeout * 1000, failed.signal);
              } catch (error) {
                failed.abort();
                throw error;
              }
              progress(++ready, apps.length);
            }),
          );
          const summary = apps.map((a) => ({
            app: a.name,
            url: `http://127.0.0.1:${a.port}`,
            pid: children.get(a.name)?.pid,
          }));
          ctx.output.result(summary, () => summary.map((s) => `${s.app.padEnd(20)} ${s.url}`).join('\n'));
          if (!options.exitWhenReady) {
            await Promise.all([...children.values()].map((c) => new Promise((r) => c.once('exit', r))));
          }
        } finally {
          await stop(children);
          process.off('SIGINT', shutdown);
          process.off('SIGTERM', shutdown);
        }
      },
    );
}
